import { canonicalJson } from './canonical';
import { NOT_ACTIVITY, type EventMeasure, type MeasureSet } from './measures';

// A feature is what one or more event measures filter: a set of event types (or all product
// activity) and property filters. Per customer, the derived state keeps each feature's days as a
// sorted array of day numbers (days since 1970-01-01, UTC), with running totals of the matching
// events (and of their values, for sums) after each day. Any window ending on any day is then two
// binary searches (width_bucket) and a subtraction, whatever the number of events behind it.

export interface FeatureSpec {
  types: string[] | 'activity';
  where: Array<[key: string, values: string[]]>;
}

/** A registered feature: its number names its columns (f<id>_d, f<id>_n, f<id>_v). */
export interface StateFeature {
  id: number;
  spec: FeatureSpec;
  /** Keeps running totals of values (USD for money): some sum reads it. */
  sums: boolean;
}

export const featureOf = (m: EventMeasure): FeatureSpec => ({ types: m.types, where: m.where });
export const featureKey = (spec: FeatureSpec): string => canonicalJson(spec);

/** The features a measure set reads, by key, with whether a sum reads each. */
export function featuresOf(set: MeasureSet): Map<string, { spec: FeatureSpec; sums: boolean }> {
  const out = new Map<string, { spec: FeatureSpec; sums: boolean }>();
  for (const m of set.events.values()) {
    const spec = featureOf(m);
    const key = featureKey(spec);
    const seen = out.get(key);
    out.set(key, { spec, sums: (seen?.sums ?? false) || m.agg === 'sum' });
  }
  return out;
}

/** Column names come from the feature's number only: never from user text. */
export const featureColumns = (id: number) => ({ days: `f${id}_d`, counts: `f${id}_n`, values: `f${id}_v` });

/** Whether an event type (`t.event_type`) is one of the feature's, as a SQL predicate; types are bind parameters. */
export function typeMatchSql(spec: FeatureSpec, t: string, param: (value: unknown) => string): string {
  return spec.types === 'activity'
    ? `${t}.event_type <> ALL(${param(NOT_ACTIVITY)}::text[])`
    : `${t}.event_type = ANY(${param(spec.types)}::text[])`;
}

/**
 * Whether an event's properties (`e.properties`) pass the feature's filters, as a SQL predicate
 * ('true' without filters). A property matches as its text, the way rules compare values; keys
 * and values are bind parameters.
 */
export function whereMatchSql(spec: FeatureSpec, e: string, param: (value: unknown) => string): string {
  if (spec.where.length === 0) return 'true';
  return spec.where
    .map(([key, values]) => `${e}.properties->>${param(key)} = ANY(${param(values)}::text[])`)
    .join(' AND ');
}

/** The SQL of each event measure over the derived state `cs`, for asOf's day number `day`. */
export function stateMeasureSql(
  m: EventMeasure,
  feature: StateFeature,
  day: string,
  bound: (feature: StateFeature, daysBefore: number) => string,
): string {
  const c = featureColumns(feature.id);
  if (m.agg === 'first') return `(CASE WHEN cs.${c.days}[1] <= ${day} THEN DATE '1970-01-01' + cs.${c.days}[1] END)`;
  if (m.agg === 'last') return `(DATE '1970-01-01' + cs.${c.days}[${bound(feature, 0)}])`;
  // Window ages [offset, offset + days): days (D - offset - days, D - offset].
  const end = bound(feature, m.offset);
  const start = bound(feature, m.offset + m.days!);
  if (m.agg === 'days') return `COALESCE(${end} - ${start}, 0)`;
  const totals = m.agg === 'sum' ? c.values : c.counts;
  return `COALESCE(cs.${totals}[${end} + 1] - cs.${totals}[${start} + 1], 0)`;
}
