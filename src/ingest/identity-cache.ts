import type { Queryable } from '../data/db';

/** Entries kept before the cache starts over: about 150 MB at most, whatever the scale. */
const MAX_ENTRIES = 1_000_000;

/**
 * The customer each event identifier resolves to, looked up in batches and remembered for the
 * run: events carry their customer when they are stored, without a join per row in the database
 * (bench: the identity lookup was a third of the cost of storing an event). A miss is remembered
 * too, as "not linked": an event stored without a customer is attributed at the end of the run
 * (attributeLateEvents), so an answer that goes stale within the run (a link an identify event
 * made) only moves its work there.
 */
export class IdentityCache {
  private readonly known = new Map<string, string | null>();

  static key(scheme: string, value: string): string {
    return `${scheme}\u0000${value}`;
  }

  has(key: string): boolean {
    return this.known.has(key);
  }

  /** The customer, null when not linked, undefined when not looked up yet. */
  get(key: string): string | null | undefined {
    return this.known.get(key);
  }

  async lookUp(db: Queryable, keys: Iterable<string>): Promise<void> {
    const schemes: string[] = [];
    const values: string[] = [];
    for (const key of keys) {
      if (this.known.has(key)) continue;
      const cut = key.indexOf('\u0000');
      schemes.push(key.slice(0, cut));
      values.push(key.slice(cut + 1));
    }
    if (schemes.length === 0) return;
    // Relies on identities_pkey: one probe per identifier not seen yet in this run.
    const found = await db.query<{ scheme: string; external_id: string; customer_id: string }>(
      `SELECT i.scheme, i.external_id, i.customer_id FROM unnest($1::text[], $2::text[]) AS k (scheme, external_id)
       JOIN identities i USING (scheme, external_id)`,
      [schemes, values],
    );
    for (let i = 0; i < schemes.length; i += 1) this.set(IdentityCache.key(schemes[i]!, values[i]!), null);
    for (const r of found.rows) this.set(IdentityCache.key(r.scheme, r.external_id), r.customer_id);
  }

  private set(key: string, customer: string | null): void {
    if (this.known.size >= MAX_ENTRIES && !this.known.has(key)) this.known.clear();
    this.known.set(key, customer);
  }
}
