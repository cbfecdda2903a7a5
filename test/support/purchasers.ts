import type { Db } from '../../src/data/db';
import { mulberry32 } from '../../src/sources/generate/random';
import { gammaVariate } from '../../src/scores/purchasing/simulate-purchases';
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
