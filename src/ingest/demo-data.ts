import fs from 'node:fs/promises';
import path from 'node:path';

/** Small seeded PRNG (mulberry32): the same seed writes the same files. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PLANS = ['free', 'pro', 'enterprise'];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'BR', 'JP', 'IN'];
const DAY = 86_400_000;

/**
 * Writes a demo source folder: customers.ndjson and events CSV covering the last `days` days
 * before `now`, with power users, at-risk payers, trials, failed payments and a few bad rows
 * (so quarantine has something to show).
 */
export async function writeDemoData(dir: string, options: { customers?: number; days?: number; seed?: number; now?: Date } = {}): Promise<{ customers: number; events: number }> {
  const customers = options.customers ?? 400;
  const days = options.days ?? 60;
  const rnd = random(options.seed ?? 42);
  const now = (options.now ?? new Date()).getTime();
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
  await fs.mkdir(dir, { recursive: true });

  const customerLines: string[] = [];
  const eventLines = ['event_id,customer_id,email,type,timestamp,value,properties'];
  let eventNo = 0;
  for (let i = 1; i <= customers; i += 1) {
    const id = `cus_${String(i).padStart(5, '0')}`;
    const stage = rnd() < 0.2 ? 'trial' : rnd() < 0.85 ? 'paid' : 'churned';
    const plan = stage === 'trial' ? 'free' : pick(PLANS);
    const signup = new Date(now - Math.floor(rnd() * 400 + 1) * DAY);
    const email = `user${i}@example.com`;
    customerLines.push(JSON.stringify({ customer_id: id, email: i % 7 === 0 ? email.toUpperCase() : email, plan, country: pick(COUNTRIES), lifecycle_stage: stage, signup_at: signup.toISOString() }));
    // Activity level: a few power users, many casual ones, churned ones fall silent.
    const level = stage === 'churned' ? 0.02 : rnd() < 0.1 ? 2.5 : rnd() * 0.8;
    for (let d = days; d >= 0; d -= 1) {
      const recentDrop = i % 5 === 0 && d < 21 ? 0.1 : 1; // every fifth customer goes quiet lately
      const n = Math.floor(rnd() * 3 * level * recentDrop + (rnd() < level * recentDrop * 0.5 ? 1 : 0));
      for (let k = 0; k < n; k += 1) {
        const at = new Date(now - d * DAY - Math.floor(rnd() * DAY)).toISOString();
        const type = pick(['login', 'login', 'feature_used', 'feature_used', 'report_exported']);
        eventNo += 1;
        // Some events name the customer by (differently cased) email instead of id.
        const byEmail = eventNo % 9 === 0;
        eventLines.push(`evt_${eventNo},${byEmail ? '' : id},${byEmail ? email.toUpperCase() : ''},${type},${at},,`);
      }
    }
    if (plan !== 'free' && rnd() < 0.08) {
      eventNo += 1;
      eventLines.push(`evt_${eventNo},${id},,payment_failed,${new Date(now - Math.floor(rnd() * 20) * DAY).toISOString()},${plan === 'pro' ? 49 : 499},"{""reason"":""card_declined""}"`);
    }
  }
  // A controlled sprinkle of bad rows: each lands in quarantine with its reason.
  eventLines.push('evt_bad_1,cus_00001,,login,not-a-time,,');
  eventLines.push('evt_bad_2,cus_99999,,login,2026-01-01T00:00:00Z,,');
  eventLines.push('evt_bad_3,,,login,2026-01-01T00:00:00Z,,');
  customerLines.push('{"customer_id": "cus_bad", "country": "Germany"}');

  await fs.writeFile(path.join(dir, 'customers.ndjson'), `${customerLines.join('\n')}\n`);
  await fs.writeFile(path.join(dir, 'events-demo.csv'), `${eventLines.join('\n')}\n`);
  return { customers, events: eventNo };
}
