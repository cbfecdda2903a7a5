import type { z } from 'zod';
import type { SourceConfig } from '../sources/config';
import { BillingRow, blank, CrmRow, ProductRow, SupportRow } from '../sources/kinds';
import { plainIsoMs, toUtcMs } from './timestamps';

/** A behavioural row (product, billing, support) as the merge expects it. */
export interface StagedEvent {
  line: number;
  event_id: string;
  id_scheme: string;
  id_value: string;
  alias_scheme: string | null;
  alias_value: string | null;
  event_type: string;
  occurred_at: string;
  value: number | null;
  properties: string;
}

export interface StagedCrm {
  line: number;
  crm_id: string;
  email: string | null;
  product_user_id: string | null;
  billing_customer_id: string | null;
  plan: string | null;
  country: string | null;
  lifecycle_stage: string | null;
  signup_at: string | null;
  consent_marketing: boolean | null;
  updated_at: string;
}

export type Staged =
  | { table: 'stage_events'; row: StagedEvent; nullKey: boolean }
  | { table: 'stage_crm'; row: StagedCrm; nullKey: boolean };

export const STAGE_COLUMNS = {
  stage_events: [
    'line',
    'event_id',
    'id_scheme',
    'id_value',
    'alias_scheme',
    'alias_value',
    'event_type',
    'occurred_at',
    'value',
    'properties',
  ],
  stage_crm: [
    'line',
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
} as const;

export const STAGE_DDL = {
  stage_events: `CREATE TEMP TABLE stage_events (line bigint, event_id text, id_scheme text, id_value text, alias_scheme text, alias_value text,
    event_type text, occurred_at timestamptz, value numeric, properties jsonb) ON COMMIT DROP`,
  stage_crm: `CREATE TEMP TABLE stage_crm (line bigint, crm_id text, email text, product_user_id text, billing_customer_id text, plan text,
    country text, lifecycle_stage text, signup_at timestamptz, consent_marketing boolean, updated_at timestamptz) ON COMMIT DROP`,
} as const;

/** The identifiers a staged row carries, by identity scheme: what ingest checks against erased customers. */
export function stagedIdentifiers(s: Staged): Array<[scheme: string, value: string | null]> {
  if (s.table === 'stage_crm')
    return [
      ['crm_id', s.row.crm_id],
      ['email', s.row.email],
      ['user_id', s.row.product_user_id],
      ['billing_customer_id', s.row.billing_customer_id],
    ];
  return [
    [s.row.id_scheme, s.row.id_value],
    [s.row.alias_scheme ?? '', s.row.alias_value],
  ];
}

const SCHEMAS = { product: ProductRow, crm: CrmRow, billing: BillingRow, support: SupportRow };
const MONEY_EVENTS = new Set(['invoice_paid', 'payment_failed', 'refund']);

/**
 * Validates one raw record of the source's kind and shapes it for staging; a reason instead
 * when the row belongs in quarantine (schema, impossible or future time).
 */
export function stageRow(
  source: SourceConfig,
  input: Record<string, unknown>,
  line: number,
  latestMs: number,
): Staged | { reason: string } {
  const record = source.fields ? renamed(input, source.fields) : input;
  if (source.kind === 'product') {
    const r = record;
    const fast = plainProduct(line, r.event_id, r.user_id, r.anonymous_id, r.type, r.timestamp, r.properties, latestMs);
    if (fast) return fast;
  }
  const parsed = (SCHEMAS[source.kind] as z.ZodTypeAny).safeParse(record);
  if (!parsed.success) return { reason: describe(parsed.error as z.ZodError, record, source.fields) };
  const time = (field: string, text: string | undefined): string | null | { reason: string } => {
    if (text === undefined) return null;
    const ms = toUtcMs(text, source.timezone);
    if (ms === undefined) return { reason: `${field}: not a real point in time (got ${JSON.stringify(text)})` };
    if (ms > latestMs) return { reason: `${field}: in the future (got ${JSON.stringify(text)})` };
    return new Date(ms).toISOString();
  };

  if (source.kind === 'crm') {
    const r = parsed.data as z.infer<typeof CrmRow>;
    const updated = time('updated_at', r.updated_at);
    const signup = time('signup_at', r.signup_at);
    if (updated && typeof updated === 'object') return updated;
    if (signup && typeof signup === 'object') return signup;
    return {
      table: 'stage_crm',
      nullKey: r.email === undefined,
      row: {
        line,
        crm_id: r.crm_id,
        email: r.email ?? null,
        product_user_id: r.product_user_id ?? null,
        billing_customer_id: r.billing_customer_id ?? null,
        plan: r.plan ?? null,
        country: r.country ?? null,
        lifecycle_stage: r.lifecycle_stage ?? null,
        signup_at: signup,
        consent_marketing: r.consent_marketing ?? null,
        updated_at: updated!,
      },
    };
  }

  let event: Omit<StagedEvent, 'occurred_at' | 'line'> & { timestamp: string };
  let nullKey: boolean;
  if (source.kind === 'product') {
    const r = parsed.data as z.infer<typeof ProductRow>;
    const byUser = r.user_id !== undefined;
    nullKey = !byUser;
    event = {
      event_id: r.event_id,
      id_scheme: byUser ? 'user_id' : 'anonymous_id',
      id_value: (r.user_id ?? r.anonymous_id)!,
      alias_scheme: byUser && r.anonymous_id ? 'anonymous_id' : null,
      alias_value: byUser ? (r.anonymous_id ?? null) : null,
      event_type: r.type,
      timestamp: r.timestamp,
      value: null,
      properties: JSON.stringify(r.properties ?? {}),
    };
  } else if (source.kind === 'billing') {
    const r = parsed.data as z.infer<typeof BillingRow>;
    nullKey = MONEY_EVENTS.has(r.type) && r.amount === undefined;
    event = {
      event_id: r.event_id,
      id_scheme: 'billing_customer_id',
      id_value: r.billing_customer_id,
      alias_scheme: null,
      alias_value: null,
      event_type: r.type,
      timestamp: r.timestamp,
      value: r.amount ?? null,
      properties: JSON.stringify({ currency: r.currency, plan: r.plan }),
    };
  } else {
    const r = parsed.data as z.infer<typeof SupportRow>;
    nullKey = r.event === 'closed' && r.satisfaction === undefined;
    event = {
      event_id: `${r.ticket_id}:${r.event}`,
      id_scheme: 'email',
      id_value: r.email,
      alias_scheme: null,
      alias_value: null,
      event_type: `ticket_${r.event}`,
      timestamp: r.timestamp,
      value: r.satisfaction ?? null,
      properties: JSON.stringify({ ticket_id: r.ticket_id, priority: r.priority, satisfaction: r.satisfaction }),
    };
  }
  const occurred = time('timestamp', event.timestamp);
  if (occurred === null || typeof occurred === 'object') return occurred ?? { reason: 'timestamp: missing' };
  const { timestamp: _ignored, ...rest } = event;
  return { table: 'stage_events', nullKey, row: { line, ...rest, occurred_at: occurred } };
}

/** An id as the Id schema keeps it: text, already trimmed, 1 to 256 characters. */
const plainId = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= 256 && (plainEnds(v) || v.trim() === v);
/** First and last character printable ASCII, not a space: nothing for trim() to remove, known without a copy. */
const plainEnds = (v: string) => {
  const a = v.charCodeAt(0);
  const z = v.charCodeAt(v.length - 1);
  return a > 32 && a < 127 && z > 32 && z < 127;
};
/** A flat JSON object of string values without escapes: valid JSON, known without parsing it. */
// eslint-disable-next-line no-control-regex -- JSON strings may not hold raw control characters
const FLAT_JSON_OBJECT = /^\{(?:"[^"\\\x00-\x1f]*":"[^"\\\x00-\x1f]*"(?:,"[^"\\\x00-\x1f]*":"[^"\\\x00-\x1f]*")*)?\}$/;
const PLAIN_EVENT_TYPE = /^[a-z][a-z0-9_.-]{0,63}$/;

/**
 * The ProductRow schema's answer for the common, plainly valid product row, at a tenth of its
 * cost (product events are the bulk of every ingest); undefined for anything else, which then
 * goes through the schema itself — the only judge of bad rows and the author of their reasons.
 * test/unit/staging.test.ts checks that both agree.
 */
export function plainProduct(
  line: number,
  id: unknown,
  user: unknown,
  anon: unknown,
  type: unknown,
  timestamp: unknown,
  properties: unknown,
  latestMs: number,
): { table: 'stage_events'; row: StagedEvent; nullKey: boolean } | undefined {
  if (!plainId(id) || typeof type !== 'string' || !PLAIN_EVENT_TYPE.test(type) || typeof timestamp !== 'string')
    return undefined;
  const byUser = blank(user) !== undefined;
  const hasAnon = blank(anon) !== undefined;
  if ((byUser && !plainId(user)) || (hasAnon && !plainId(anon)) || (!byUser && !hasAnon)) return undefined;
  let props: string;
  if (blank(properties) === undefined) props = '{}';
  else if (typeof properties === 'string' && FLAT_JSON_OBJECT.test(properties)) props = properties;
  else if (typeof properties === 'string' && properties.charCodeAt(0) === 123) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(properties);
    } catch {
      return undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    props = properties;
  } else return undefined;
  const ms = plainIsoMs(timestamp);
  if (ms === undefined || ms > latestMs) return undefined;
  return {
    table: 'stage_events',
    nullKey: !byUser,
    row: {
      line,
      event_id: id,
      id_scheme: byUser ? 'user_id' : 'anonymous_id',
      id_value: (byUser ? user : anon) as string,
      alias_scheme: byUser && hasAnon ? 'anonymous_id' : null,
      alias_value: byUser && hasAnon ? (anon as string) : null,
      event_type: type,
      occurred_at: timestamp.length === 24 ? timestamp : new Date(ms).toISOString(),
      value: null,
      properties: props,
    },
  };
}

/** The columns an event is stored with by COPY; ingested_at is the statement's own time (its default). */
export const EVENT_COPY_COLUMNS = [
  'source',
  'event_id',
  'customer_id',
  'identity_scheme',
  'identity_value',
  'event_type',
  'occurred_at',
  'value',
  'properties',
] as const;

/**
 * An event's row of the events table in COPY text format, written field by field (this runs per
 * event). The source, scheme, type and time need no escapes: the schemas admit only letters,
 * digits and punctuation there.
 */
export function eventCopyLine(source: string, customer: string | null, r: StagedEvent): string {
  return `${source}\t${copyText(r.event_id)}\t${customer === null ? '\\N' : copyText(customer)}\t${r.id_scheme}\t${copyText(
    r.id_value,
  )}\t${r.event_type}\t${r.occurred_at}\t${r.value ?? '\\N'}\t${copyText(r.properties)}\n`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
/** A text value escaped for COPY's text format (backslash, tab and line breaks). */
const copyText = (s: string) =>
  COPY_SPECIAL.test(s) ? s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : s;

/** The row with the source's columns under the kind's field names; other columns unchanged. */
function renamed(record: Record<string, unknown>, fields: Record<string, string>): Record<string, unknown> {
  const out = { ...record };
  for (const [field, column] of Object.entries(fields)) {
    delete out[column];
    out[field] = record[column];
  }
  return out;
}

function describe(error: z.ZodError, record: Record<string, unknown>, fields?: Record<string, string>): string {
  return error.issues
    .map((i) => {
      const name = i.path.join('.') || '(row)';
      const column = fields?.[String(i.path[0])];
      const field = column ? `${name} (column ${column})` : name;
      const value = i.path.length > 0 ? record[String(i.path[0])] : undefined;
      return `${field}: ${i.message}${value !== undefined ? ` (got ${JSON.stringify(value)})` : ''}`;
    })
    .join('; ');
}

/** One row in COPY text format: tab-separated, \N for NULL, backslash escapes. */
export function copyLine(values: unknown[]): string {
  let out = '';
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i];
    if (i > 0) out += '\t';
    out += v === null || v === undefined ? '\\N' : copyText(String(v));
  }
  return `${out}\n`;
}
