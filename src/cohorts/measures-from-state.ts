import { featureColumns, featureKey, featureOf, stateMeasureSql, type StateFeature } from './features';
import type { EventMeasure } from './measures';
import type { MeasureBase } from './measures-sql';
import { AS_OF, type Params } from './sql-params';

/**
 * Traits and every event measure from customer_state: one row per customer, each window two
 * binary searches (width_bucket) over the feature's days, computed once per distinct window
 * bound in a lateral subquery, then a subtraction of running totals. Only when the state holds
 * exactly what asOf sees (readPath).
 */
export function baseFromState(
  events: Array<[string, EventMeasure]>,
  p: Params,
  features: ReadonlyMap<string, StateFeature>,
  asOf: Date,
  customerId?: string,
): MeasureBase {
  // asOf's UTC day number, a parameter only when some measure reads it (an unused one has no type).
  const day = events.length > 0 ? `${p.add(Math.floor(asOf.getTime() / 86_400_000))}::int` : '';
  const bounds = new Map<string, string>();
  const bound = (feature: StateFeature, daysBefore: number) => {
    const name = `b${feature.id}_${daysBefore}`;
    if (!bounds.has(name))
      bounds.set(name, `width_bucket(${day} - ${daysBefore}, cs.${featureColumns(feature.id).days}) AS ${name}`);
    return `w.${name}`;
  };
  const columns = events.map(([col, m]) => {
    const feature = features.get(featureKey(featureOf(m)));
    if (!feature) throw new Error(`customer_state keeps no feature for measure ${col}`);
    return `${stateMeasureSql(m, feature, day, bound)} AS ${col}`;
  });
  const one = customerId === undefined ? '' : ` AND cs.customer_id = ${p.add(customerId)}`;
  // OFFSET 0 keeps the lateral subquery whole: each bound is computed once, not at every use.
  const lateral = bounds.size > 0 ? ` CROSS JOIN LATERAL (SELECT ${[...bounds.values()].join(', ')} OFFSET 0) w` : '';
  return {
    ctes: [],
    relation: `SELECT cs.customer_id, cs.customer_no, cs.plan, cs.country, cs.lifecycle_stage, cs.signup_at, cs.consent_marketing${columns
      .map((c) => `, ${c}`)
      .join('')}
      FROM customer_state cs${lateral} WHERE cs.first_seen_at <= ${AS_OF}${one}`,
  };
}
