import { featureColumns, featureKey, featureOf, stateMeasureSql, type StateFeature } from './features';
import type { EventMeasure } from './measures';
import type { MeasureBase } from './measures-sql';
import { AS_OF, type Params } from './sql-params';

/**
 * Traits and every event measure from customer_state: one row per customer, each window two
 * binary searches (width_bucket) over the feature's days and a subtraction of running totals.
 * Only when the state holds exactly what asOf sees (readPath).
 */
export function baseFromState(
  events: Array<[string, EventMeasure]>,
  p: Params,
  features: ReadonlyMap<string, StateFeature>,
  asOf: Date,
  customerId?: string,
  part?: { of: number; index: number },
): MeasureBase {
  // asOf's UTC day number, a parameter only when some measure reads it (an unused one has no type).
  const day = events.length > 0 ? `${p.add(Math.floor(asOf.getTime() / 86_400_000))}::int` : '';
  // Each bound where it is used: a condition that fails early never computes the others.
  const bound = (feature: StateFeature, daysBefore: number) =>
    `width_bucket(${day} - ${daysBefore}, cs.${featureColumns(feature.id).days})`;
  const columns = events.map(([col, m]) => {
    const feature = features.get(featureKey(featureOf(m)));
    if (!feature) throw new Error(`customer_state keeps no feature for measure ${col}`);
    return `${stateMeasureSql(m, feature, day, bound)} AS ${col}`;
  });
  const one = customerId === undefined ? '' : ` AND cs.customer_id = ${p.add(customerId)}`;
  const only = part === undefined ? '' : ` AND cs.customer_no % ${p.add(part.of)}::int = ${p.add(part.index)}::int`;
  return {
    ctes: [],
    relation: `SELECT cs.customer_id, cs.customer_no, cs.plan, cs.country, cs.lifecycle_stage, cs.signup_at, cs.consent_marketing${columns
      .map((c) => `, ${c}`)
      .join('')}
      FROM customer_state cs WHERE cs.first_seen_at <= ${AS_OF}${one}${only}`,
  };
}
