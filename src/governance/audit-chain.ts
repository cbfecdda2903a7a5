import crypto from 'node:crypto';
import type { Queryable } from '../data/db';

// Verifies the audit log's hash chain (migration 005) outside the database: the database hands
// over each row's pieces as text, this module rebuilds the canonical text and hashes it itself,
// so a trigger or function changed in the database cannot vouch for its own rows.

/** The prev_hash of the first row. */
export const GENESIS = '0'.repeat(64);
const PAGE = 1000;

export interface AuditChainBreak {
  id: number;
  reason: 'hash mismatch' | 'prev_hash does not match the previous row';
  expected: string;
  found: string | null;
}

export interface AuditChainReport {
  ok: boolean;
  /** Rows checked: every row when the chain is intact, up to and including the break otherwise. */
  rows: number;
  brokenAt?: AuditChainBreak;
}

/** A row as the chain reads it: every piece already spelled as text by audit_log_time and jsonb. */
interface ChainRow {
  id: number;
  key: string | null;
  at: string;
  run_id: string | null;
  actor: string;
  action: string;
  details: string;
  prev_hash: string | null;
  hash: string | null;
}

const field = (value: string | null) => (value === null ? 'null' : `${Buffer.byteLength(value, 'utf8')}:${value}`);

/** The canonical text of a row; the same text as audit_log_canonical() in migration 005. */
export function canonicalText(row: Omit<ChainRow, 'prev_hash' | 'hash'>): string {
  return [
    `id ${row.id}`,
    `key ${field(row.key)}`,
    `at ${field(row.at)}`,
    `run_id ${field(row.run_id)}`,
    `actor ${field(row.actor)}`,
    `action ${field(row.action)}`,
    `details ${field(row.details)}`,
  ].join('\n');
}

export const chainHash = (prevHash: string, canonical: string) =>
  crypto.createHash('sha256').update(`${prevHash}\n${canonical}`, 'utf8').digest('hex');

/**
 * Reads the log in id order, a page at a time (it grows for ever), and reports the first row
 * whose prev_hash is not its predecessor's hash or whose hash is not that of its own content.
 * Rows appended while it reads are checked too; they can only come after the ones read.
 */
export async function verifyAuditChain(db: Queryable, options: { pageSize?: number } = {}): Promise<AuditChainReport> {
  let previous = GENESIS;
  let after = -1;
  let rows = 0;
  const size = options.pageSize ?? PAGE;
  for (;;) {
    // Keyset pages over the primary key.
    const page = await db.query<ChainRow>(
      `SELECT id, key, audit_log_time(at) AS at, run_id, actor, action, details::text AS details, prev_hash, hash
       FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`,
      [after, size],
    );
    for (const row of page.rows) {
      rows += 1;
      if (row.prev_hash !== previous)
        return {
          ok: false,
          rows,
          brokenAt: {
            id: row.id,
            reason: 'prev_hash does not match the previous row',
            expected: previous,
            found: row.prev_hash,
          },
        };
      const expected = chainHash(previous, canonicalText(row));
      if (row.hash !== expected)
        return { ok: false, rows, brokenAt: { id: row.id, reason: 'hash mismatch', expected, found: row.hash } };
      previous = expected;
      after = row.id;
    }
    if (page.rows.length < size) return { ok: true, rows };
  }
}
