import crypto from 'node:crypto';
import { BILLING_TYPES } from '../sources/kinds';
import { measureIsWindowed, windowDays, type EventCondition, type MeasureName, type Rule } from './definition';
import { canonicalJson } from './canonical';
import { conditions } from './rule-walk';
import { isScoreMeasure, MODEL_OF, type ModelKind, type ScoreMeasure } from './score-measures';

// The measures a rule needs, named by their content: every cohort of a run asks for the same
// measure by the same column, so one pass serves the whole catalog.

/** Event types that are not product activity: recency, frequency and velocity ignore them. */
export const SUPPORT_TYPES = ['ticket_opened', 'ticket_closed'] as const;
export const NOT_ACTIVITY: readonly string[] = [...BILLING_TYPES, ...SUPPORT_TYPES, 'identify'];

/** One aggregate over one customer's events. */
export interface EventMeasure {
  agg: 'count' | 'sum' | 'days' | 'first' | 'last';
  /** Event types, sorted; 'activity' means every product type (not NOT_ACTIVITY). */
  types: string[] | 'activity';
  /** Property filters, by key, values sorted. */
  where: Array<[key: string, values: string[]]>;
  /** Whole UTC days ending with asOf's day; null means all history. */
  days: number | null;
  /** Days skipped before the window ends (the previous window of velocity). */
  offset: number;
}

export interface DerivedMeasure {
  name: MeasureName;
  /** The window of a windowed measure, in days (its default when the rule gives none). */
  days: number | null;
  /** A score's quantile instead of its value (score measures only). */
  quantile?: true;
}

export interface MeasureSet {
  events: Map<string, EventMeasure>;
  derived: Map<string, DerivedMeasure>;
}

export const emptyMeasureSet = (): MeasureSet => ({ events: new Map(), derived: new Map() });

/** A column name built only from a hash or an enum value: never from user text. */
export function eventColumn(m: EventMeasure): string {
  return `m_${crypto.createHash('sha256').update(canonicalJson(m)).digest('hex').slice(0, 16)}`;
}

export const DEFAULT_WINDOW: Partial<Record<MeasureName, number>> = {
  frequency: 30,
  monetary: 90,
  rfm_f: 90,
  rfm_m: 90,
  rfm_score: 90,
  velocity: 14,
  support_intensity: 30,
  failed_payments: 30,
  upgrades: 90,
  downgrades: 90,
  refunds: 90,
};

export function derivedColumn(m: DerivedMeasure): string {
  if (m.quantile) return `d_${m.name}_q`;
  return m.days === null ? `d_${m.name}` : `d_${m.name}_${m.days}`;
}

/** The event condition as the measure it reads. */
export function eventMeasureOf(e: EventCondition): EventMeasure {
  const types = [...new Set(e.types ?? [e.type!])].sort();
  const where = Object.entries(e.where ?? {})
    .map(([k, v]): [string, string[]] => [k, [...new Set(Array.isArray(v) ? v : [v])].sort()])
    .sort(([a], [b]) => (a < b ? -1 : 1));
  if (e.first || e.last) return { agg: e.first ? 'first' : 'last', types, where, days: null, offset: 0 };
  const agg = e.count ? 'count' : e.sum ? 'sum' : 'days';
  return { agg, types, where, days: windowDays(e.within!), offset: 0 };
}

const count = (types: string[] | 'activity', days: number, offset = 0): EventMeasure => ({
  agg: 'count',
  types,
  where: [],
  days,
  offset,
});

/** What each derived measure is made of; the SQL that combines them is in measures-sql.ts. */
export function derivedParts(m: DerivedMeasure): { events: EventMeasure[]; derived: DerivedMeasure[] } {
  const w = m.days ?? 0;
  switch (m.name) {
    case 'recency_days':
      return { events: [{ agg: 'last', types: 'activity', where: [], days: null, offset: 0 }], derived: [] };
    case 'frequency':
      return { events: [{ agg: 'days', types: 'activity', where: [], days: w, offset: 0 }], derived: [] };
    case 'monetary':
      return {
        events: [
          { agg: 'sum', types: ['invoice_paid'], where: [], days: w, offset: 0 },
          { agg: 'sum', types: ['refund'], where: [], days: w, offset: 0 },
        ],
        derived: [],
      };
    case 'velocity':
      return { events: [count('activity', w), count('activity', w, w)], derived: [] };
    case 'support_intensity':
      return { events: [count(['ticket_opened'], w)], derived: [] };
    case 'failed_payments':
      return { events: [count(['payment_failed'], w)], derived: [] };
    case 'upgrades':
      return { events: [count(['subscription_upgraded'], w)], derived: [] };
    case 'downgrades':
      return { events: [count(['subscription_downgraded'], w)], derived: [] };
    case 'refunds':
      return { events: [count(['refund'], w)], derived: [] };
    // Scores come from the run's score table (score-measures.ts), not from events.
    case 'tenure_days':
    case 'p_alive':
    case 'expected_purchases_90d':
    case 'clv_12m':
    case 'churn_probability':
    case 'upgrade_probability':
      return { events: [], derived: [] };
    case 'rfm_r':
      return { events: [], derived: [{ name: 'recency_days', days: null }] };
    case 'rfm_f':
      return { events: [], derived: [{ name: 'frequency', days: w }] };
    case 'rfm_m':
      return { events: [], derived: [{ name: 'monetary', days: w }] };
    case 'rfm_score':
      return {
        events: [],
        derived: [
          { name: 'rfm_r', days: null },
          { name: 'rfm_f', days: w },
          { name: 'rfm_m', days: w },
        ],
      };
  }
}

export function addDerived(set: MeasureSet, m: DerivedMeasure): string {
  const column = derivedColumn(m);
  if (!set.derived.has(column)) {
    const parts = derivedParts(m);
    for (const e of parts.events) set.events.set(eventColumn(e), e);
    for (const d of parts.derived) addDerived(set, d);
    set.derived.set(column, m);
  }
  return column;
}

/** Adds every measure the rule reads (not those of the cohorts it refers to). */
export function collectMeasures(rule: Rule, set: MeasureSet): MeasureSet {
  for (const { rule: c } of conditions(rule)) {
    if ('event' in c) {
      const m = eventMeasureOf(c.event);
      set.events.set(eventColumn(m), m);
    } else if ('measure' in c) addDerived(set, derivedOf(c.measure.name, c.measure.window, c.measure.as));
  }
  return set;
}

export const derivedOf = (name: MeasureName, window?: string, as?: 'value' | 'quantile'): DerivedMeasure => ({
  name,
  days: measureIsWindowed(name) ? (window ? windowDays(window) : DEFAULT_WINDOW[name]!) : null,
  ...(as === 'quantile' ? { quantile: true as const } : {}),
});

/** The score measures a set reads, each with the run_scores column it comes from. */
export function scoreColumns(set: MeasureSet): Array<{ column: string; source: string; name: ScoreMeasure }> {
  return [...set.derived.entries()]
    .filter(([, m]) => isScoreMeasure(m.name))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([column, m]) => ({
      column,
      name: m.name as ScoreMeasure,
      source: m.quantile ? `${m.name}_q` : m.name,
    }));
}

/** The model kinds a set's scores need. */
export const modelKindsOf = (set: MeasureSet): ModelKind[] =>
  [...new Set(scoreColumns(set).map((c) => MODEL_OF[c.name]))].sort();
