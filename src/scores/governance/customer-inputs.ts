import type { Queryable } from '../../data/db';
import { addDerived, derivedColumn, derivedOf, emptyMeasureSet, type MeasureSet } from '../../cohorts/measures';
import { measuresQuery, Params, type ReadPath } from '../../cohorts/measures-sql';
import type { MeasureName } from '../../cohorts/definition';
import type { FeatureColumns, FeatureSpec } from '../propensity/feature-table';
import { summarisePurchases, type SpendHistories } from '../purchasing/purchase-history';

// What the models read of each customer as of an asOf, from Postgres into typed columns: the
// purchase history (invoice_paid days and values) for the purchasing models, the measures for
// the propensity models. Only rows ingested and dated by asOf count, as for every measure.

const DAY_MS = 86_400_000;
export const dayOf = (asOf: Date) => Math.floor(asOf.getTime() / DAY_MS);

/** Purchase histories of every customer existing at asOf with a purchase; the others are not buyers. */
export interface BuyerHistories {
  customerNo: Int32Array;
  histories: SpendHistories;
}

/**
 * One row per buyer: the days with a paid invoice and each day's USD value (through fx_rates, as
 * `monetary` converts it). A day whose value is not positive (a currency without a rate, a zero
 * invoice) is not a purchase: the spend model needs positive values. Scans the invoice_paid
 * events up to asOf (the BRIN index on event time bounds the scan).
 */
export async function buyerHistoriesAt(db: Queryable, asOf: Date, sampleOf?: number): Promise<BuyerHistories> {
  const r = await db.query<{ customer_no: number; days: number[]; vals: string[] }>(
    `SELECT c.customer_no, array_agg(d.day ORDER BY d.day) AS days, array_agg(d.value ORDER BY d.day)::text[] AS vals
     FROM (SELECT e.customer_id, ((e.occurred_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS day,
                  sum(CASE WHEN e.properties->>'currency' IS NOT NULL THEN e.value / fx.per_usd ELSE e.value END) AS value
           FROM events e LEFT JOIN fx_rates fx ON fx.currency = e.properties->>'currency'
           WHERE e.event_type = 'invoice_paid' AND e.occurred_at <= $1 AND e.ingested_at <= $1
           GROUP BY 1, 2) d
     JOIN customers c ON c.customer_id = d.customer_id
     WHERE c.first_seen_at <= $1 AND d.value > 0 ${sampleOf ? 'AND hashint4(c.customer_no) % $2::int = 0' : ''}
     GROUP BY c.customer_no ORDER BY c.customer_no`,
    sampleOf ? [asOf.toISOString(), sampleOf] : [asOf.toISOString()],
  );
  const n = r.rows.length;
  const out: BuyerHistories = {
    customerNo: new Int32Array(n),
    histories: {
      frequency: new Float64Array(n),
      recency: new Float64Array(n),
      age: new Float64Array(n),
      meanSpend: new Float64Array(n),
    },
  };
  const asOfDay = dayOf(asOf);
  r.rows.forEach((row, i) => {
    const summary = summarisePurchases(
      row.days.map((day, k) => ({ day, value: Number(row.vals[k]) })),
      asOfDay,
    )!;
    out.customerNo[i] = row.customer_no;
    out.histories.frequency[i] = summary.frequency;
    out.histories.recency[i] = summary.recency;
    out.histories.age[i] = summary.age;
    out.histories.meanSpend[i] = summary.meanSpend;
  });
  return out;
}

/** The measures a propensity model reads, each as the rule language computes it (default windows). */
export const PROPENSITY_MEASURES: ReadonlyArray<{ name: MeasureName; transform?: 'log1p' }> = [
  { name: 'recency_days', transform: 'log1p' },
  { name: 'frequency' },
  { name: 'monetary' },
  { name: 'velocity' },
  { name: 'support_intensity', transform: 'log1p' },
  { name: 'failed_payments', transform: 'log1p' },
  { name: 'downgrades' },
  { name: 'tenure_days', transform: 'log1p' },
];

export const PROPENSITY_FEATURES: FeatureSpec[] = [
  ...PROPENSITY_MEASURES.map((m): FeatureSpec => ({
    kind: 'numeric',
    name: m.name,
    ...(m.transform ? { transform: m.transform } : {}),
  })),
  { kind: 'category', name: 'plan' },
];

export function propensityMeasureSet(): MeasureSet {
  const set = emptyMeasureSet();
  for (const m of PROPENSITY_MEASURES) addDerived(set, derivedOf(m.name));
  return set;
}

/** Per customer existing at asOf: number, lifecycle stage, and the model's features. */
export interface CustomerFeatures {
  customerNo: Int32Array;
  lifecycleStage: Array<string | null>;
  features: FeatureColumns;
}

/**
 * The measures of every customer existing at asOf, read like a cohort reads them (`path`: the
 * derived state for a run's asOf, the raw rows for a past one). A tenure below 0 (a signup dated
 * after asOf) counts as missing.
 */
export async function featuresAt(
  db: Queryable,
  asOf: Date,
  path: ReadPath = { from: 'events' },
  knownAt?: Date,
): Promise<CustomerFeatures> {
  const set = propensityMeasureSet();
  const p = new Params(asOf, knownAt);
  const q = measuresQuery(set, p, path, asOf);
  const cols = PROPENSITY_MEASURES.map((m) => derivedColumn(derivedOf(m.name)));
  const r = await db.query<Record<string, unknown>>(
    `SELECT m.customer_no, m.lifecycle_stage, m.plan, ${cols.map((c) => `m.${c}::float8 AS ${c}`).join(', ')}
     FROM (${q.sql}) m ORDER BY m.customer_no`,
    p.values,
  );
  const n = r.rows.length;
  const numeric: Record<string, Float64Array> = {};
  PROPENSITY_MEASURES.forEach((m, j) => {
    const col = cols[j]!;
    numeric[m.name] = Float64Array.from(r.rows, (row) => {
      const v = row[col];
      if (v === null || v === undefined) return NaN;
      const x = Number(v);
      return m.name === 'tenure_days' && x < 0 ? NaN : x;
    });
  });
  const plans = [
    ...new Set(r.rows.map((row) => row.plan as string | null).filter((v): v is string => v !== null)),
  ].sort();
  return {
    customerNo: Int32Array.from(r.rows, (row) => Number(row.customer_no)),
    lifecycleStage: r.rows.map((row) => (row.lifecycle_stage as string | null) ?? null),
    features: {
      rows: n,
      numeric,
      categories: {
        plan: {
          levels: plans,
          codes: Int32Array.from(r.rows, (row) => (row.plan === null ? -1 : plans.indexOf(row.plan as string))),
        },
      },
    },
  };
}

/** Which customers a propensity model is for: churn among payers, upgrades among those not churned. */
export const inPopulation = (kind: 'churn' | 'upgrade', stage: string | null): boolean =>
  kind === 'churn' ? stage === 'paid' || stage === 'reactivated' : stage !== null && stage !== 'churned';

/** The event a propensity model predicts, within LABEL_HORIZON_DAYS after asOf. */
export const TARGET_EVENT = { churn: 'subscription_cancelled', upgrade: 'subscription_upgraded' } as const;
export const LABEL_HORIZON_DAYS = 30;

/** Customer numbers with the target event in (asOf, asOf + horizon], as known at `knownAt`. */
export async function labelledAt(
  db: Queryable,
  kind: 'churn' | 'upgrade',
  asOf: Date,
  knownAt: Date,
): Promise<Set<number>> {
  const r = await db.query<{ customer_no: number }>(
    `SELECT DISTINCT c.customer_no FROM events e JOIN customers c ON c.customer_id = e.customer_id
     WHERE e.event_type = $1 AND e.occurred_at > $2 AND e.occurred_at <= $3 AND e.ingested_at <= $4`,
    [
      TARGET_EVENT[kind],
      asOf.toISOString(),
      new Date(asOf.getTime() + LABEL_HORIZON_DAYS * DAY_MS).toISOString(),
      knownAt.toISOString(),
    ],
  );
  return new Set(r.rows.map((x) => x.customer_no));
}
