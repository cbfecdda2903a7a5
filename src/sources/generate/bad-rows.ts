import type { SourceKindName } from '../kinds';
import { between, gapFor, type Random } from './random';
import type { RowFiles } from './row-files';
import { csvCells, renderRow, type SourceFormat, type SourceRecord } from './rows';

/** How a row can be broken; each ends up in quarantine with a reason naming it. */
type BadSort = 'unparseable' | 'missing_field' | 'bad_timestamp' | 'future_timestamp' | 'unknown_value' | 'no_identity';

interface KindDefects {
  sorts: readonly BadSort[];
  required: readonly string[];
  timeField: string;
  /** Values the schema rejects, as a careless exporter writes them. */
  unknown: ReadonlyArray<Record<string, unknown>>;
}

const DEFECTS: Record<SourceKindName, KindDefects> = {
  product: {
    sorts: ['unparseable', 'missing_field', 'bad_timestamp', 'future_timestamp', 'unknown_value', 'no_identity'],
    required: ['event_id', 'type', 'timestamp'],
    timeField: 'timestamp',
    unknown: [{ type: 'Feature Used' }, { type: 'LOGIN' }, { properties: '["not","an","object"]' }],
  },
  crm: {
    sorts: ['unparseable', 'missing_field', 'bad_timestamp', 'future_timestamp', 'unknown_value'],
    required: ['crm_id', 'updated_at'],
    timeField: 'updated_at',
    unknown: [{ lifecycle_stage: 'prospect' }, { consent_marketing: 'yes' }, { country: 'Germany' }],
  },
  billing: {
    sorts: ['unparseable', 'missing_field', 'bad_timestamp', 'future_timestamp', 'unknown_value'],
    required: ['event_id', 'billing_customer_id', 'type', 'timestamp'],
    timeField: 'timestamp',
    unknown: [{ type: 'invoice_voided' }, { type: 'Invoice Paid' }, { amount: '-49.00', currency: 'USD' }],
  },
  support: {
    sorts: ['unparseable', 'missing_field', 'bad_timestamp', 'future_timestamp', 'unknown_value'],
    required: ['ticket_id', 'event', 'email', 'timestamp', 'priority'],
    timeField: 'timestamp',
    unknown: [{ priority: 'critical' }, { event: 'reopened' }, { satisfaction: '7' }, { email: 'not-an-email' }],
  },
};

/** The id field a bad copy gets a fresh value in, so it never collides with a good row. */
const ID_FIELD: Partial<Record<SourceKindName, string>> = {
  product: 'event_id',
  billing: 'event_id',
  support: 'ticket_id',
};

/**
 * The controlled sprinkle of one kind: bad rows at `badRate` (several sorts, in turn) and exact
 * re-sent copies of good rows at `duplicateRate`, a few rows after the original. Deterministic
 * from its own random stream, so it never changes the good rows.
 */
export class Sprinkler {
  bad = 0;
  duplicates = 0;
  readonly badBySort: Partial<Record<BadSort, number>> = {};
  private untilBad: number;
  private untilDuplicate: number;
  private held: { line: string; after: number } | undefined;
  private nextSort: number;

  constructor(
    private readonly kind: SourceKindName,
    private readonly format: SourceFormat,
    private readonly rnd: Random,
    private readonly rates: { bad: number; duplicate: number; now: number },
  ) {
    this.untilBad = gapFor(rnd, rates.bad);
    this.untilDuplicate = gapFor(rnd, rates.duplicate);
    this.nextSort = Math.floor(rnd() * DEFECTS[kind].sorts.length);
  }

  /** Call after each good row: may append a held duplicate; true when a bad row is due now. */
  afterRow(files: RowFiles): boolean {
    if (--this.untilDuplicate <= 0) {
      this.untilDuplicate = gapFor(this.rnd, this.rates.duplicate);
      if (!this.held) this.held = { line: files.lastLine(), after: between(this.rnd, 1, 30) };
    } else if (this.held && --this.held.after <= 0) {
      files.line(this.held.line);
      this.duplicates += 1;
      this.held = undefined;
    }
    if (--this.untilBad > 0) return false;
    this.untilBad = gapFor(this.rnd, this.rates.bad);
    return true;
  }

  /** Appends a broken copy of the good row `record`. */
  addBad(files: RowFiles, record: SourceRecord): void {
    const defects = DEFECTS[this.kind];
    const sort = defects.sorts[this.nextSort]!;
    this.nextSort = (this.nextSort + 1) % defects.sorts.length;
    const copy: Record<string, unknown> = { ...record };
    const idField = ID_FIELD[this.kind];
    if (idField) copy[idField] = `${String(copy[idField])}x`;
    files.line(this.breakRow(sort, copy, defects));
    this.bad += 1;
    this.badBySort[sort] = (this.badBySort[sort] ?? 0) + 1;
  }

  /** At the end of the kind: a duplicate still waiting is written. */
  finish(files: RowFiles): void {
    if (!this.held) return;
    files.line(this.held.line);
    this.duplicates += 1;
    this.held = undefined;
  }

  private breakRow(sort: BadSort, row: Record<string, unknown>, defects: KindDefects): string {
    switch (sort) {
      case 'unparseable': {
        if (this.format === 'csv') return csvCells(this.kind, row).slice(0, -1).join(','); // a column short
        const text = JSON.stringify(row);
        return text.slice(0, between(this.rnd, 1, text.length - 1)); // cut off mid-object
      }
      case 'missing_field':
        delete row[defects.required[Math.floor(this.rnd() * defects.required.length)]!];
        break;
      case 'bad_timestamp':
        row[defects.timeField] = this.unparseableTime(String(row[defects.timeField]));
        break;
      case 'future_timestamp': {
        // Years ahead: a clock error, and still "future" when the files are ingested much later.
        row[defects.timeField] = new Date(
          this.rates.now + between(this.rnd, 365, 3650) * 86_400_000 + Math.floor(this.rnd() * 86_400_000),
        ).toISOString();
        break;
      }
      case 'unknown_value':
        Object.assign(row, defects.unknown[Math.floor(this.rnd() * defects.unknown.length)]);
        break;
      case 'no_identity':
        delete row.user_id;
        delete row.anonymous_id;
        break;
    }
    return renderRow(this.kind, this.format, row);
  }

  /** The same moment in a format ISO 8601 parsing rejects. */
  private unparseableTime(iso: string): string {
    const [y, m, d, hh, mm] = [
      iso.slice(0, 4),
      iso.slice(5, 7),
      iso.slice(8, 10),
      iso.slice(11, 13),
      iso.slice(14, 16),
    ];
    const forms = [
      `${m}/${d}/${y} ${hh}:${mm}`,
      `${d}.${m}.${y}`,
      String(Math.floor(Date.parse(iso) / 1000)),
      'yesterday',
      `${y}/${m}/${d} ${hh}:${mm}`,
    ];
    return forms[Math.floor(this.rnd() * forms.length)]!;
  }
}
