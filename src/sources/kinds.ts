import { z } from 'zod';

// The four source kinds of docs/sources.md. Timestamps stay text here: the merge converts
// them in Postgres, with the source's time zone for those written without one.

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/** An empty cell or a JSON null counts as absent. */
export const blank = (v: unknown) => (v === '' || v === null ? undefined : v);
const opt = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(blank, schema.optional());

export const TimestampText = z.string().trim().regex(ISO_TIME, 'an ISO 8601 timestamp such as 2026-03-01T12:00:00Z');
const Id = z.coerce.string().trim().min(1).max(256);
/** Emails match across sources only once trimmed and lower-cased. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();

const Email = z.string().trim().email().transform(normaliseEmail);
const EventType = z
  .string()
  .trim()
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'lower case letters, digits, _ . -');
const Properties = z.preprocess(
  (v) => (typeof v === 'string' && v !== '' ? safeJson(v) : blank(v)),
  z.record(z.string(), z.unknown()).optional(),
);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // fails the record check below with the value shown
  }
}

export const ProductRow = z
  .object({
    event_id: Id,
    user_id: opt(Id),
    anonymous_id: opt(Id),
    type: EventType,
    timestamp: TimestampText,
    properties: Properties,
  })
  .refine((r) => r.user_id !== undefined || r.anonymous_id !== undefined, {
    message: 'needs user_id or anonymous_id',
    path: ['user_id'],
  });

const Bool = z.preprocess(
  (v) => (v === 'true' || v === true ? true : v === 'false' || v === false ? false : blank(v)),
  z.boolean().optional(),
);

export const CrmRow = z.object({
  crm_id: Id,
  email: opt(Email),
  product_user_id: opt(Id),
  billing_customer_id: opt(Id),
  plan: opt(z.string().trim().max(64)),
  country: opt(
    z
      .string()
      .trim()
      .regex(/^[A-Za-z]{2}$/, 'a two-letter country code')
      .transform((c) => c.toUpperCase()),
  ),
  lifecycle_stage: opt(z.enum(['trial', 'paid', 'churned', 'reactivated'])),
  signup_at: opt(TimestampText),
  consent_marketing: Bool,
  updated_at: TimestampText,
});

export const BILLING_TYPES = [
  'invoice_paid',
  'payment_failed',
  'refund',
  'subscription_started',
  'subscription_upgraded',
  'subscription_downgraded',
  'subscription_cancelled',
] as const;

export const BillingRow = z
  .object({
    event_id: Id,
    billing_customer_id: Id,
    type: z.enum(BILLING_TYPES),
    timestamp: TimestampText,
    amount: opt(z.coerce.number().finite().nonnegative()),
    currency: opt(
      z
        .string()
        .trim()
        .regex(/^[A-Za-z]{3}$/, 'an ISO 4217 currency code')
        .transform((c) => c.toUpperCase()),
    ),
    plan: opt(z.string().trim().max(64)),
  })
  .refine((r) => (r.amount === undefined) === (r.currency === undefined), {
    message: 'amount and currency go together',
    path: ['currency'],
  });

export const SupportRow = z.object({
  ticket_id: Id,
  event: z.enum(['opened', 'closed']),
  email: Email,
  timestamp: TimestampText,
  priority: z.enum(['low', 'normal', 'high', 'urgent']),
  satisfaction: opt(z.coerce.number().int().min(1).max(5)),
});

export const SOURCE_KINDS = { product: ProductRow, crm: CrmRow, billing: BillingRow, support: SupportRow } as const;
export type SourceKindName = keyof typeof SOURCE_KINDS;

/** The fields of each kind, as named in docs/sources.md: what a source's `fields` map may rename. */
export const KIND_FIELDS: Record<SourceKindName, string[]> = {
  product: Object.keys(ProductRow.shape),
  crm: Object.keys(CrmRow.shape),
  billing: Object.keys(BillingRow.shape),
  support: Object.keys(SupportRow.shape),
};
