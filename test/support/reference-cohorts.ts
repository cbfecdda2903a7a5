import type { CohortDefinition, EventCondition, MeasureName, Rule, TraitCondition } from '../../src/cohorts/definition';
import type { Queryable } from '../../src/data/db';

// A second, deliberately plain evaluator of the cohort language, written from what the language
// means over raw rows, not from the compiled SQL: it reads no rollup and shares no code with the
// engine but the definition types, so where the two agree on real data they have not misread the
// language the same way. Plain rather than fast: each condition re-filters a customer's events.

const DAY_US = 86_400_000_000;

/** Timestamps are whole microseconds since the epoch, as Postgres stores them, so `≤ asOf` is exact. */
export interface CustomerRow {
  customerId: string;
  firstSeenUs: number;
}
export interface Traits {
  plan: string | null;
  country: string | null;
  lifecycle_stage: string | null;
  signupUs: number | null;
  consent_marketing: boolean | null;
}
export interface EventRow {
  customerId: string | null;
  type: string;
  occurredUs: number;
  ingestedUs: number;
  value: number | null;
  properties: Record<string, unknown>;
}
export interface CrmRecord {
  customerId: string;
  updatedUs: number;
  ingestedUs: number;
  traits: Traits;
}

export interface SourceRows {
  customers: CustomerRow[];
  events: EventRow[];
  crmHistory: CrmRecord[];
  /** Units of the currency per US dollar. */
  perUsd: Map<string, number>;
}

const us = (column: string) => `(extract(epoch FROM ${column}) * 1000000)::bigint`;
const usOrNull = (v: string | null) => (v === null ? null : Number(v));
type TraitColumns = {
  plan: string | null;
  country: string | null;
  lifecycle_stage: string | null;
  signup_us: string | null;
  consent_marketing: boolean | null;
};
const traitsOf = (r: TraitColumns): Traits => ({
  plan: r.plan,
  country: r.country,
  lifecycle_stage: r.lifecycle_stage,
  signupUs: usOrNull(r.signup_us),
  consent_marketing: r.consent_marketing,
});
const TRAIT_SELECT = `plan, country, lifecycle_stage, ${us('signup_at')} AS signup_us, consent_marketing`;

/** Everything the language can read, by plain full-table SELECTs. */
export async function readSourceRows(db: Queryable): Promise<SourceRows> {
  const customers = await db.query<{ customer_id: string; first_seen_us: string }>(
    `SELECT customer_id, ${us('first_seen_at')} AS first_seen_us FROM customers`,
  );
  const events = await db.query<{
    customer_id: string | null;
    event_type: string;
    occurred_us: string;
    ingested_us: string;
    value: string | null;
    properties: Record<string, unknown>;
  }>(
    `SELECT customer_id, event_type, ${us('occurred_at')} AS occurred_us, ${us('ingested_at')} AS ingested_us, value, properties FROM events`,
  );
  const history = await db.query<TraitColumns & { customer_id: string; updated_us: string; ingested_us: string }>(
    `SELECT customer_id, ${us('updated_at')} AS updated_us, ${us('ingested_at')} AS ingested_us, ${TRAIT_SELECT} FROM crm_history`,
  );
  const rates = await db.query<{ currency: string; per_usd: string }>('SELECT currency, per_usd FROM fx_rates');
  return {
    customers: customers.rows.map((r) => ({ customerId: r.customer_id, firstSeenUs: Number(r.first_seen_us) })),
    events: events.rows.map((r) => ({
      customerId: r.customer_id,
      type: r.event_type,
      occurredUs: Number(r.occurred_us),
      ingestedUs: Number(r.ingested_us),
      value: r.value === null ? null : Number(r.value),
      properties: r.properties,
    })),
    crmHistory: history.rows.map((r) => ({
      customerId: r.customer_id,
      updatedUs: Number(r.updated_us),
      ingestedUs: Number(r.ingested_us),
      traits: traitsOf(r),
    })),
    perUsd: new Map(rates.rows.map((r) => [r.currency, Number(r.per_usd)])),
  };
}

/** Types that are not product activity (recency, frequency, velocity ignore them). */
const NOT_ACTIVITY = new Set([
  'invoice_paid',
  'payment_failed',
  'refund',
  'subscription_started',
  'subscription_upgraded',
  'subscription_downgraded',
  'subscription_cancelled',
  'ticket_opened',
  'ticket_closed',
  'identify',
]);
const DEFAULT_DAYS: Partial<Record<MeasureName, number>> = {
  frequency: 30,
  monetary: 90,
  velocity: 14,
  support_intensity: 30,
  failed_payments: 30,
  upgrades: 90,
  downgrades: 90,
  refunds: 90,
  rfm_f: 90,
  rfm_m: 90,
  rfm_score: 90,
};
const COUNTED: Partial<Record<MeasureName, string>> = {
  support_intensity: 'ticket_opened',
  failed_payments: 'payment_failed',
  upgrades: 'subscription_upgraded',
  downgrades: 'subscription_downgraded',
  refunds: 'refund',
};

const daysOf = (window: string) => Number(window.slice(0, -1));
const dayOf = (tUs: number) => Math.floor(tUs / DAY_US);
const isoDay = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);
type Bounded = { gte?: number; gt?: number; lte?: number; lt?: number };
const meets = (v: number | undefined, b: Bounded) =>
  v !== undefined &&
  (b.gte === undefined || v >= b.gte) &&
  (b.gt === undefined || v > b.gt) &&
  (b.lte === undefined || v <= b.lte) &&
  (b.lt === undefined || v < b.lt);
/** How many of the ascending `sorted` are below v (or at most v). */
function countBelow(sorted: number[], v: number, orEqual = false): number {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v || (orEqual && sorted[mid] === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
/** A property's text: strings as they are, other JSON values as their JSON text. */
const propertyText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

interface VisibleEvent {
  type: string;
  day: number;
  value: number | null;
  properties: Record<string, unknown>;
}

/** The members of any cohort of a catalog at one asOf, over the rows as read. */
export class ReferenceCohorts {
  private readonly asOfUs: number;
  /** asOf's UTC day, as a day number since the epoch. */
  private readonly today: number;
  private readonly existing: string[];
  private readonly traits = new Map<string, Traits>();
  private readonly events = new Map<string, VisibleEvent[]>();
  /** The same events by customer and type, so a condition reads only the types it names. */
  private readonly eventsByType = new Map<string, Map<string, VisibleEvent[]>>();
  private readonly measures = new Map<string, Map<string, number | undefined>>();
  private readonly memberships = new Map<string, Set<string>>();

  constructor(
    private readonly rows: SourceRows,
    private readonly catalog: ReadonlyMap<string, CohortDefinition>,
    asOf: Date,
  ) {
    this.asOfUs = asOf.getTime() * 1000;
    this.today = dayOf(this.asOfUs);
    this.existing = rows.customers.filter((c) => c.firstSeenUs <= this.asOfUs).map((c) => c.customerId);
    for (const id of this.existing) {
      this.events.set(id, []);
      this.eventsByType.set(id, new Map());
    }
    for (const e of rows.events) {
      if (e.customerId === null || e.occurredUs > this.asOfUs || e.ingestedUs > this.asOfUs) continue;
      const visible = { type: e.type, day: dayOf(e.occurredUs), value: e.value, properties: e.properties };
      this.events.get(e.customerId)?.push(visible);
      const byType = this.eventsByType.get(e.customerId);
      if (!byType) continue;
      if (!byType.has(e.type)) byType.set(e.type, []);
      byType.get(e.type)!.push(visible);
    }
    this.readTraits();
  }

  /** Traits as of asOf: per field, the newest non-empty value among the CRM records known then. */
  private readTraits(): void {
    const known = new Map<string, CrmRecord[]>();
    for (const r of this.rows.crmHistory) {
      if (r.updatedUs > this.asOfUs || r.ingestedUs > this.asOfUs) continue;
      const records = known.get(r.customerId) ?? [];
      records.push(r);
      known.set(r.customerId, records);
    }
    for (const id of this.existing) {
      const records = (known.get(id) ?? []).sort((a, b) => b.updatedUs - a.updatedUs).map((r) => r.traits);
      const newest = <K extends keyof Traits>(k: K): Traits[K] => records.find((t) => t[k] !== null)?.[k] ?? null;
      this.traits.set(id, {
        plan: newest('plan'),
        country: newest('country'),
        lifecycle_stage: newest('lifecycle_stage'),
        signupUs: newest('signupUs'),
        consent_marketing: newest('consent_marketing'),
      });
    }
  }

  members(def: CohortDefinition): Set<string> {
    let found = this.memberships.get(def.id);
    if (!found) {
      found = new Set(this.existing.filter((id) => this.holds(def.rule, id)));
      this.memberships.set(def.id, found);
    }
    return found;
  }

  holds(rule: Rule, id: string): boolean {
    if ('all' in rule) return rule.all.every((r) => this.holds(r, id));
    if ('any' in rule) return rule.any.some((r) => this.holds(r, id));
    if ('none' in rule) return !rule.none.some((r) => this.holds(r, id));
    if ('in_cohort' in rule) return this.members(this.catalog.get(rule.in_cohort)!).has(id);
    if ('trait' in rule) return this.traitHolds(rule.trait, id);
    if ('measure' in rule) return meets(this.measure(rule.measure.name, rule.measure.window, id), rule.measure);
    const e = rule.event;
    const occurrence = e.first ?? e.last;
    if (occurrence) {
      const day = this.eventFigure(e, id);
      const n = daysOf((occurrence.within ?? occurrence.before)!);
      return day !== undefined && (occurrence.within ? day > this.today - n : day <= this.today - n);
    }
    return meets(this.eventFigure(e, id), (e.count ?? e.sum ?? e.distinct_days)!);
  }

  private traitHolds(t: TraitCondition, id: string): boolean {
    const traits = this.traits.get(id)!;
    if (t.name === 'signup_at') {
      const signup = traits.signupUs;
      if (signup === null) return false;
      if (t.within) return dayOf(signup) > this.today - daysOf(t.within) && signup <= this.asOfUs;
      return dayOf(signup) <= this.today - daysOf(t.before!);
    }
    if (t.name === 'consent_marketing') return traits.consent_marketing !== null && traits.consent_marketing === t.is;
    const value = traits[t.name];
    if (value === null) return false;
    return t.in ? t.in.includes(value) : !t.notIn!.includes(value);
  }

  /** count, USD sum or distinct days in the window; for first/last, the day number (undefined: none). */
  eventFigure(e: EventCondition, id: string): number | undefined {
    const byType = this.eventsByType.get(id)!;
    const where = Object.entries(e.where ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v!]] as const);
    const matching = [...new Set(e.types ?? [e.type!])]
      .flatMap((t) => byType.get(t) ?? [])
      .filter((ev) =>
        where.every(
          ([k, values]) =>
            ev.properties[k] !== undefined &&
            ev.properties[k] !== null &&
            values.includes(propertyText(ev.properties[k])),
        ),
      );
    if (e.first || e.last) {
      if (matching.length === 0) return undefined;
      const days = matching.map((ev) => ev.day);
      return e.first ? Math.min(...days) : Math.max(...days);
    }
    const inWindow = matching.filter((ev) => this.inWindow(ev.day, daysOf(e.within!)));
    if (e.count) return inWindow.length;
    if (e.sum) return this.usd(inWindow);
    return new Set(inWindow.map((ev) => ev.day)).size;
  }

  private inWindow(day: number, n: number, offset = 0): boolean {
    return day > this.today - offset - n && day <= this.today - offset;
  }

  /** Values in USD, summed in ascending order so equal sets of payments give bit-equal sums. */
  private usd(events: VisibleEvent[]): number {
    const amounts = events.map((ev) => {
      if (ev.value === null) return 0;
      const currency = ev.properties.currency;
      if (currency === undefined || currency === null) return ev.value;
      const rate = this.rows.perUsd.get(propertyText(currency));
      return rate === undefined ? 0 : ev.value / rate;
    });
    return amounts.sort((a, b) => a - b).reduce((s, a) => s + a, 0);
  }

  /** A measure of one customer; undefined when it has no value. Computed for everyone at once (ranks need it). */
  measure(name: MeasureName, window: string | undefined, id: string): number | undefined {
    const days = window ? daysOf(window) : DEFAULT_DAYS[name];
    const key = `${name}:${days ?? ''}`;
    let values = this.measures.get(key);
    if (!values) {
      values = this.measureForAll(name, days);
      this.measures.set(key, values);
    }
    return values.get(id);
  }

  private measureForAll(name: MeasureName, days: number | undefined): Map<string, number | undefined> {
    const n = days!;
    if (name === 'rfm_r')
      return this.scores(
        this.existing.map((id) => this.measure('recency_days', undefined, id)),
        (v, sorted) => sorted.length - countBelow(sorted, v),
      );
    if (name === 'rfm_f' || name === 'rfm_m') {
      const base = name === 'rfm_f' ? 'frequency' : 'monetary';
      const positive = this.existing.map((id) => {
        const v = this.measure(base, `${n}d`, id)!;
        return v > 0 ? v : undefined;
      });
      return this.scores(positive, (v, sorted) => countBelow(sorted, v, true));
    }
    if (name === 'rfm_score') {
      const sum = (id: string) =>
        this.measure('rfm_r', undefined, id)! +
        this.measure('rfm_f', `${n}d`, id)! +
        this.measure('rfm_m', `${n}d`, id)!;
      return new Map(this.existing.map((id) => [id, sum(id)]));
    }
    return new Map(this.existing.map((id) => [id, this.ownMeasure(name, n, id)]));
  }

  /** ceil(5·k/N) among the N customers with a value, k given by `rank` over their sorted values; 0 for the others. */
  private scores(
    values: Array<number | undefined>,
    rank: (v: number, sorted: number[]) => number,
  ): Map<string, number> {
    const sorted = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    return new Map(
      this.existing.map((id, i) => {
        const v = values[i];
        return [id, v === undefined ? 0 : Math.ceil(5 * (rank(v, sorted) / sorted.length))];
      }),
    );
  }

  private ownMeasure(name: MeasureName, n: number, id: string): number | undefined {
    const events = this.events.get(id)!;
    const activity = events.filter((ev) => !NOT_ACTIVITY.has(ev.type));
    switch (name) {
      case 'recency_days':
        return activity.length ? this.today - Math.max(...activity.map((ev) => ev.day)) : undefined;
      case 'frequency':
        return new Set(activity.filter((ev) => this.inWindow(ev.day, n)).map((ev) => ev.day)).size;
      case 'monetary': {
        const windowed = events.filter((ev) => this.inWindow(ev.day, n));
        return (
          this.usd(windowed.filter((ev) => ev.type === 'invoice_paid')) -
          this.usd(windowed.filter((ev) => ev.type === 'refund'))
        );
      }
      case 'velocity': {
        const previous = activity.filter((ev) => this.inWindow(ev.day, n, n)).length;
        return previous === 0 ? undefined : activity.filter((ev) => this.inWindow(ev.day, n)).length / previous;
      }
      case 'tenure_days': {
        const signup = this.traits.get(id)!.signupUs;
        return signup === null ? undefined : this.today - dayOf(signup);
      }
      default:
        return events.filter((ev) => ev.type === COUNTED[name] && this.inWindow(ev.day, n)).length;
    }
  }

  /** Why a customer is in or out: each leaf of the rule with the figure it tested, for a failure message. */
  explain(def: CohortDefinition, id: string): string[] {
    const t = this.traits.get(id);
    if (!t) return ['not a customer at asOf'];
    const lines: string[] = [];
    const walk = (rule: Rule, depth: string) => {
      const children = 'all' in rule ? rule.all : 'any' in rule ? rule.any : 'none' in rule ? rule.none : undefined;
      if (children) return children.forEach((r) => walk(r, `${depth}${Object.keys(rule)[0]}.`));
      const figure =
        'event' in rule
          ? this.eventFigure(rule.event, id)
          : 'measure' in rule
            ? this.measure(rule.measure.name, rule.measure.window, id)
            : undefined;
      const shown =
        'event' in rule && (rule.event.first || rule.event.last) && figure !== undefined ? isoDay(figure) : figure;
      lines.push(
        `${depth}${JSON.stringify(rule)} → ${this.holds(rule, id)}${shown !== undefined ? ` (figure ${shown})` : ''}`,
      );
    };
    walk(def.rule, '');
    const signup = t.signupUs === null ? null : new Date(t.signupUs / 1000).toISOString();
    lines.push(
      `traits as of asOf: ${JSON.stringify({ plan: t.plan, country: t.country, lifecycle_stage: t.lifecycle_stage, signup_at: signup, consent_marketing: t.consent_marketing })}`,
    );
    const events = this.events.get(id)!;
    lines.push(
      `${events.length} visible events${events.length ? `, the newest on ${isoDay(Math.max(...events.map((ev) => ev.day)))}` : ''}`,
    );
    return lines;
  }
}
