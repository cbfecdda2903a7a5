import type { Db } from '../../src/data/db';
import { mulberry32 } from '../../src/sources/generate/random';
import { gammaVariate } from '../../src/scores/purchasing/simulate-purchases';
import { summarisePurchases } from '../../src/scores/purchasing/purchase-history';
import { scorePurchasing, type PurchasingModels } from '../../src/scores/purchasing/score-customers';
import { addCustomer } from './cohort-data';

// Buyers whose invoices follow the purchasing models themselves (BG/NBD purchase days, Gamma
// spends), seeded, stored as invoice_paid events: data a purchasing fit can converge on.

const DAY_MS = 86_400_000;

export async function addPurchasers(
  db: Db,
  options: { customers: number; until: Date; seed: number; lifecycleStage?: string },
): Promise<void> {
  const random = mulberry32(options.seed);
  const events: Array<{ id: string; customer: string; at: string; value: number }> = [];
  for (let c = 0; c < options.customers; c += 1) {
    const id = `buyer_${String(c).padStart(4, '0')}`;
    const firstDay = Math.floor(random() * 300) + 30;
    const start = options.until.getTime() - firstDay * DAY_MS;
    await addCustomer(db, id, {
      plan: 'pro',
      lifecycle_stage: options.lifecycleStage ?? 'paid',
      country: 'GB',
      first_seen_at: new Date(start - DAY_MS).toISOString(),
    });
    const rate = gammaVariate(random, 0.9) / 25; // purchases a day: Gamma(r 0.9, α 25)
    const x = gammaVariate(random, 2);
    const dropout = x / (x + gammaVariate(random, 5)); // Beta(2, 5)
    const nu = gammaVariate(random, 4) / 200; // spend scale: Gamma(q 4, γ 200)
    let t = start;
    for (;;) {
      events.push({
        id: `${id}_${events.length}`,
        customer: id,
        at: new Date(t).toISOString(),
        value: Math.round((gammaVariate(random, 6) / nu) * 100) / 100 + 1,
      });
      if (random() < dropout) break;
      t += (-Math.log(1 - random()) / rate) * DAY_MS;
      if (t >= options.until.getTime()) break;
    }
  }
  await db.query(
    `INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at, value, properties)
     SELECT 'billing', e.id, e.customer, 'invoice_paid', e.at, e.at, e.value, '{"currency": "USD"}'
     FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[]) AS e(id, customer, at, value)`,
    [events.map((e) => e.id), events.map((e) => e.customer), events.map((e) => e.at), events.map((e) => e.value)],
  );
}

/**
 * Subscribers who cancel on a day drawn at random in the `days` before `until`, whatever they did:
 * no measure tells a churner apart, so a churn model on them ranks no better than chance.
 */
export async function addRandomChurners(
  db: Db,
  options: { customers: number; until: Date; days: number; seed: number },
): Promise<void> {
  const random = mulberry32(options.seed);
  const events: Array<{ id: string; customer: string; at: string }> = [];
  for (let c = 0; c < options.customers; c += 1) {
    const id = `subscriber_${String(c).padStart(4, '0')}`;
    const since = new Date(options.until.getTime() - (options.days + 60) * DAY_MS).toISOString();
    await addCustomer(db, id, { plan: 'pro', lifecycle_stage: 'paid', country: 'DE', first_seen_at: since });
    const at = new Date(options.until.getTime() - Math.floor(random() * options.days * DAY_MS) - 1000).toISOString();
    events.push({ id: `${id}_cancel`, customer: id, at });
  }
  await db.query(
    `INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at, properties)
     SELECT 'billing', e.id, e.customer, 'subscription_cancelled', e.at, e.at, '{}'
     FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS e(id, customer, at)`,
    [events.map((e) => e.id), events.map((e) => e.customer), events.map((e) => e.at)],
  );
}

/**
 * The purchasing scores of every buyer computed apart from cohortflow's inputs and tables: each
 * one's invoice days from the raw events, summarised and scored with the model's parameters.
 * Sorted by customer id.
 */
export async function independentPurchasingScores(
  db: Db,
  models: PurchasingModels,
  asOf: string,
): Promise<Array<{ customerId: string; pAlive: number; clv: number }>> {
  const rows = await db.query<{ customer_id: string; day: number; value: string }>(
    `SELECT e.customer_id, ((e.occurred_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS day,
            sum(e.value / fx.per_usd)::text AS value
     FROM events e JOIN fx_rates fx ON fx.currency = e.properties->>'currency'
     WHERE e.event_type = 'invoice_paid' AND e.occurred_at <= $1 GROUP BY 1, 2`,
    [asOf],
  );
  const byCustomer = new Map<string, Array<{ day: number; value: number }>>();
  for (const r of rows.rows)
    if (Number(r.value) > 0)
      byCustomer.set(r.customer_id, [...(byCustomer.get(r.customer_id) ?? []), { day: r.day, value: Number(r.value) }]);
  const ids = [...byCustomer.keys()].sort();
  const asOfDay = Math.floor(Date.parse(asOf) / DAY_MS);
  const summaries = ids.map((id) => summarisePurchases(byCustomer.get(id)!, asOfDay)!);
  const scores = scorePurchasing(
    models,
    {
      frequency: Float64Array.from(summaries, (s) => s.frequency),
      recency: Float64Array.from(summaries, (s) => s.recency),
      age: Float64Array.from(summaries, (s) => s.age),
      meanSpend: Float64Array.from(summaries, (s) => s.meanSpend),
    },
    { purchasesWithin: 90, lifetimeValue: { months: 12, monthlyDiscountRate: 0.01, timeUnitsPerMonth: 30 } },
  );
  return ids.map((customerId, i) => ({
    customerId,
    pAlive: scores.probabilityAlive[i]!,
    clv: scores.lifetimeValue[i]!,
  }));
}
