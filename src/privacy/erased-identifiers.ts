import crypto from 'node:crypto';
import type { Queryable } from '../data/db';
import type { ErasureKey } from './erasure-key';

// Every identifier an erased customer ever had, kept as a keyed hash (erased_identifiers), and the
// one check every entry applies: a row naming any of them is refused. Hashing scheme and value
// together keeps a billing id from refusing a user id that happens to read the same.

export type IdentifierScheme = 'crm_id' | 'email' | 'user_id' | 'anonymous_id' | 'billing_customer_id';
export const IDENTIFIER_SCHEMES: readonly IdentifierScheme[] = [
  'crm_id',
  'email',
  'user_id',
  'anonymous_id',
  'billing_customer_id',
];

export interface Identifier {
  scheme: string;
  value: string;
}

/** An erasure committed while a chunk was being read: the chunk is read again against the new list. */
export class ErasureRaced extends Error {
  constructor() {
    super('an erasure committed while the chunk was read');
    this.name = 'ErasureRaced';
  }
}

export class ErasedIdentifiersError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ErasedIdentifiersError';
  }
}

// Emails are refused whatever their case: Ann@X.com is the same person as ann@x.com.
const normalized = (scheme: string, value: string) => (scheme === 'email' ? value.trim().toLowerCase() : value);

export const identifierHash = (key: ErasureKey, scheme: string, value: string): string =>
  crypto
    .createHmac('sha256', key.secret)
    .update(`${scheme}\0${normalized(scheme, value)}`)
    .digest('hex');

/**
 * The first statement of an erasure's transaction: it waits for ingest chunks in flight (they hold
 * the table in SHARE mode while they check) and holds back new ones until it commits, so no chunk
 * checked against the list before the erasure stores its rows after the erasure deleted them.
 */
export async function lockForErasure(tx: Queryable): Promise<void> {
  await tx.query('LOCK TABLE erased_identifiers IN SHARE ROW EXCLUSIVE MODE');
}

/** Every identifier linked to the customer: their id, email, linked identities and aliases of those. */
export async function identifiersOf(tx: Queryable, customerId: string): Promise<Identifier[]> {
  const found = await tx.query<Identifier>(
    `SELECT 'crm_id' AS scheme, $1::text AS value
     UNION SELECT 'email', email FROM customers WHERE customer_id = $1 AND email IS NOT NULL
     UNION SELECT scheme, external_id FROM identities WHERE customer_id = $1
     UNION SELECT a.alias_scheme, a.alias_value FROM identity_aliases a
       JOIN identities i ON i.scheme = a.scheme AND i.external_id = a.value WHERE i.customer_id = $1`,
    [customerId],
  );
  return found.rows;
}

/** Stores the identifiers' hashes; the clear values never reach the table. */
export async function recordErased(tx: Queryable, key: ErasureKey, identifiers: Identifier[]): Promise<number> {
  const hashes = [...new Set(identifiers.map((i) => identifierHash(key, i.scheme, i.value)))];
  const inserted = await tx.query(
    'INSERT INTO erased_identifiers (hash, key_id) SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING',
    [hashes, key.keyId],
  );
  return inserted.rowCount ?? 0;
}

// A raw line's tokens as erasure matches them in quarantine: runs of id and email characters.
const TOKEN_SEPARATORS = /[^A-Za-z0-9_.@+-]+/;
const CACHE_LIMIT = 200_000;

/**
 * The erased identifiers as one ingest sees them. Loaded once, then checked again inside each
 * chunk's transaction (`refuse`), so an erasure committed mid-ingest applies from the next chunk.
 */
export class ErasedIdentifierFilter {
  private readonly seen = new Map<string, boolean>();

  private constructor(
    private readonly key: ErasureKey | undefined,
    private hashes: Set<string>,
  ) {}

  static async load(db: Queryable, key: ErasureKey | undefined): Promise<ErasedIdentifierFilter> {
    const filter = new ErasedIdentifierFilter(key, new Set());
    await filter.reload(db);
    return filter;
  }

  private async reload(db: Queryable): Promise<void> {
    const rows = await db.query<{ hash: string; key_id: string }>('SELECT hash, key_id FROM erased_identifiers');
    if (rows.rows.length > 0 && !this.key)
      throw new ErasedIdentifiersError(
        'erased customers are on record but no erasure key is configured (ERASURE_KEY_FILE): refusing to ingest rather than let them back in',
      );
    const other = rows.rows.find((r) => r.key_id !== this.key!.keyId);
    if (other)
      throw new ErasedIdentifiersError(
        `erased identifiers were hashed with erasure key ${other.key_id}, but ERASURE_KEY_FILE holds key ${this.key!.keyId}: refusing to ingest rather than let them back in`,
      );
    this.hashes = new Set(rows.rows.map((r) => r.hash));
    this.seen.clear();
  }

  /**
   * Inside a chunk's transaction, before its rows are stored: holds off erasures until the chunk
   * commits and catches up with any committed since the last look. True when the list changed, so
   * rows judged before now must be judged again.
   */
  async caughtUp(tx: Queryable): Promise<boolean> {
    await tx.query('LOCK TABLE erased_identifiers IN SHARE MODE');
    const now = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM erased_identifiers');
    if (now.rows[0]!.n === this.hashes.size) return false;
    await this.reload(tx);
    return true;
  }

  /** Whether any of the (scheme, value) pairs a row carries is erased: then the whole row is refused. */
  names(identifiers: Array<[scheme: string, value: string | null]>): boolean {
    return this.hashes.size > 0 && identifiers.some(([scheme, value]) => this.isErased(scheme, value));
  }

  isErased(scheme: string, value: string | null): boolean {
    if (this.hashes.size === 0 || value === null || value === '' || scheme === '') return false;
    const id = `${scheme}\0${value}`;
    let erased = this.seen.get(id);
    if (erased === undefined) {
      erased = this.hashes.has(identifierHash(this.key!, scheme, value));
      if (this.seen.size >= CACHE_LIMIT) this.seen.clear();
      this.seen.set(id, erased);
    }
    return erased;
  }

  /** A line that could not be parsed names an erased identifier when any of its tokens is one, of any scheme. */
  rawNamesErased(raw: string): boolean {
    if (this.hashes.size === 0) return false;
    return raw
      .split(TOKEN_SEPARATORS)
      .some((token) => token !== '' && IDENTIFIER_SCHEMES.some((scheme) => this.isErased(scheme, token)));
  }
}
