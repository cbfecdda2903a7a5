import { z } from 'zod';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A timestamp string → UTC Date. Without a zone it is read as UTC (the documented default). */
export const Timestamp = z
  .string()
  .trim()
  .regex(ISO_TIME, 'an ISO 8601 timestamp such as 2026-03-01T12:00:00Z')
  .transform((text, ctx) => {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
    const date = new Date(hasZone ? text : `${text.replace(' ', 'T')}${text.length === 10 ? 'T00:00:00' : ''}Z`);
    // Date rolls 2025-02-30 over to March 2; a calendar date that does not exist is an error.
    const [y, mo, d] = text.slice(0, 10).split('-').map(Number);
    const local = hasZone ? new Date(date.getTime() + offsetMinutes(text) * 60_000) : date;
    if (Number.isNaN(date.getTime()) || local.getUTCFullYear() !== y || local.getUTCMonth() + 1 !== mo || local.getUTCDate() !== d) {
      ctx.addIssue({ code: 'custom', message: `not a real point in time: "${text}"` });
      return z.NEVER;
    }
    return date;
  });

/** The zone offset written in the text, in minutes east of UTC (Z → 0). */
function offsetMinutes(text: string): number {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

const blankToUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

export const normaliseEmail = (email: string) => email.trim().toLowerCase();

export const CustomerRow = z.object({
  customer_id: z.string().trim().min(1).max(128),
  email: optional(z.string().trim().email().transform(normaliseEmail)),
  plan: optional(z.string().trim().max(64)),
  country: optional(z.string().trim().regex(/^[A-Za-z]{2}$/, 'a two-letter country code').transform((c) => c.toUpperCase())),
  lifecycle_stage: optional(z.enum(['trial', 'paid', 'churned', 'reactivated'])),
  signup_at: optional(Timestamp),
});
export type CustomerRow = z.infer<typeof CustomerRow>;

export const EventRow = z
  .object({
    event_id: z.coerce.string().trim().min(1).max(256),
    customer_id: optional(z.string().trim().min(1).max(128)),
    email: optional(z.string().trim().email().transform(normaliseEmail)),
    type: z.string().trim().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'an event type: lower case letters, digits, _ . -'),
    timestamp: Timestamp,
    value: optional(z.coerce.number().finite()),
    properties: optional(z.record(z.string(), z.unknown())),
  })
  .refine((r) => r.customer_id !== undefined || r.email !== undefined, {
    message: 'needs customer_id or email to identify the customer',
    path: ['customer_id'],
  });
export type EventRow = z.infer<typeof EventRow>;

export type SourceKind = 'customers' | 'events';

/** Which rows a file holds, from its name: customers*.ndjson, events-2026-03.csv, … */
export function sourceKindOf(fileName: string): SourceKind | undefined {
  if (!/\.(ndjson|jsonl|csv)$/i.test(fileName)) return undefined;
  if (/^customers/i.test(fileName)) return 'customers';
  if (/^events/i.test(fileName)) return 'events';
  return undefined;
}

/** zod issues → one line naming each field and the offending value. */
export function describeIssues(error: z.ZodError, record: Record<string, unknown>): string {
  return error.issues
    .map((i) => {
      const field = i.path.join('.') || '(row)';
      const value = i.path.length > 0 ? record[String(i.path[0])] : undefined;
      return `${field}: ${i.message}${value !== undefined ? ` (got ${JSON.stringify(value)})` : ''}`;
    })
    .join('; ');
}
