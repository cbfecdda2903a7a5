import type { z } from 'zod';
import type { SOURCE_KINDS, SourceKindName } from '../kinds';

export type SourceFormat = 'ndjson' | 'csv';

/** A row as the generator writes it: the fields of its kind (src/sources/kinds.ts), as text. */
export type SourceRecord<K extends SourceKindName = SourceKindName> = Partial<
  Record<keyof z.infer<(typeof SOURCE_KINDS)[K]>, unknown>
>;

/** Column order of each kind: the CSV header, and the key order of NDJSON objects. */
export const COLUMNS: { [K in SourceKindName]: ReadonlyArray<keyof z.infer<(typeof SOURCE_KINDS)[K]>> } = {
  product: ['event_id', 'user_id', 'anonymous_id', 'type', 'timestamp', 'properties'],
  crm: [
    'crm_id',
    'email',
    'product_user_id',
    'billing_customer_id',
    'plan',
    'country',
    'lifecycle_stage',
    'signup_at',
    'consent_marketing',
    'updated_at',
  ],
  billing: ['event_id', 'billing_customer_id', 'type', 'timestamp', 'amount', 'currency', 'plan'],
  support: ['ticket_id', 'event', 'email', 'timestamp', 'priority', 'satisfaction'],
};

export const csvHeader = (kind: SourceKindName): string => COLUMNS[kind].join(',');

/** A CSV cell: JSON objects as text (docs/sources.md), quoted when they hold , " or a newline. */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvCells = (kind: SourceKindName, record: SourceRecord): string[] =>
  COLUMNS[kind].map((c) => csvCell((record as Record<string, unknown>)[c as string]));

/** One line of the kind's file; absent fields are left out of NDJSON and empty in CSV. */
export function renderRow(kind: SourceKindName, format: SourceFormat, record: SourceRecord): string {
  return format === 'csv' ? csvCells(kind, record).join(',') : JSON.stringify(record);
}

/** Rows of one day for a low-volume kind, put in time order before writing. */
export interface TimedRecord<K extends SourceKindName = SourceKindName> {
  at: number;
  record: SourceRecord<K>;
}

export const byTime = (a: TimedRecord, b: TimedRecord): number => a.at - b.at;
