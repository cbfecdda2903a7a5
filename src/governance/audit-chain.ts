import crypto from 'node:crypto';
import type { Queryable } from '../data/db';
import type { AuditCheckpoint, RefusedCheckpoint } from './audit-checkpoints';

// Verifies the audit log's hash chain (migration 005) outside the database: the database hands
// over each row's pieces as text, this module rebuilds the canonical text and hashes it itself,
// so a trigger or function changed in the database cannot vouch for its own rows.

/** The prev_hash of the first row. */
export const GENESIS = '0'.repeat(64);
const PAGE = 1000;

export interface AuditChainBreak {
  id: number;
  reason:
    | 'hash mismatch'
    | 'prev_hash does not match the previous row'
    | 'differs from a signed checkpoint'
    | 'a checkpointed row is missing'
    | 'the log ends before a signed checkpoint';
  expected: string;
  found: string | null;
  /** For a checkpoint finding: the checkpoint the log no longer matches. */
  checkpoint?: Omit<AuditCheckpoint, 'v' | 'signature'>;
  /**
   * For a checkpoint finding: the row of the last checkpoint the log still matches (0: none), so
   * the change lies in the rows after it, up to the checkpoint's row.
   */
  intactUpTo?: number;
  /** For a log that ends before a checkpoint: its last row now (null: no rows at all). */
  logEnd?: { rowId: number; hash: string } | null;
}

export interface CheckpointSummary {
  file?: string;
  /** Checkpoints that verified against a trusted key. */
  signed: number;
  /** Lines of the checkpoint file that did not verify; any makes the report not ok. */
  refused: RefusedCheckpoint[];
  latest?: Omit<AuditCheckpoint, 'v' | 'signature'>;
  /** Rows after the latest checkpoint: covered by the hash chain only, until the next checkpoint. */
  uncovered: number;
}

export interface AuditChainReport {
  ok: boolean;
  /** Rows checked: every row when the chain is intact, up to and including the break otherwise. */
  rows: number;
  brokenAt?: AuditChainBreak;
  /** Present when verified against signed checkpoints. */
  checkpoints?: CheckpointSummary;
}

/** Checkpoints that verified, and the lines that did not, as the checkpoint store read them. */
export interface SignedCheckpoints {
  file?: string;
  checkpoints: AuditCheckpoint[];
  refused: RefusedCheckpoint[];
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

const summaryOf = ({ v: _v, signature: _s, ...c }: AuditCheckpoint) => c;

/**
 * Reads the log in id order, a page at a time (it grows for ever), and reports the first row
 * whose prev_hash is not its predecessor's hash or whose hash is not that of its own content.
 * Rows appended while it reads are checked too; they can only come after the ones read. Given
 * signed checkpoints, it also reports the first checkpoint the log no longer matches: a prefix
 * rewritten and re-hashed, a checkpointed row removed, or a log that ends before a checkpoint.
 */
export async function verifyAuditChain(
  db: Queryable,
  options: { pageSize?: number; checkpoints?: SignedCheckpoints } = {},
): Promise<AuditChainReport> {
  const signed = uniqueByRow(options.checkpoints?.checkpoints ?? []);
  const latest = signed.reduce<AuditCheckpoint | undefined>((a, c) => (!a || c.rows > a.rows ? c : a), undefined);
  const summary = (rows: number): Pick<AuditChainReport, 'checkpoints'> =>
    options.checkpoints
      ? {
          checkpoints: {
            ...(options.checkpoints.file ? { file: options.checkpoints.file } : {}),
            signed: signed.length,
            refused: options.checkpoints.refused,
            ...(latest ? { latest: summaryOf(latest) } : {}),
            uncovered: Math.max(0, rows - (latest?.rows ?? 0)),
          },
        }
      : {};
  const refusedAny = (options.checkpoints?.refused.length ?? 0) > 0;
  let previous = GENESIS;
  let after = -1;
  let rows = 0;
  let next = 0; // the first checkpoint not reached yet
  let intactUpTo = 0;
  const broken = (brokenAt: AuditChainBreak): AuditChainReport => ({ ok: false, rows, brokenAt, ...summary(rows) });
  const atCheckpoint = (c: AuditCheckpoint, reason: AuditChainBreak['reason'], found: string | null) =>
    broken({ id: c.rowId, reason, expected: c.hash, found, checkpoint: summaryOf(c), intactUpTo });
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
        return broken({
          id: row.id,
          reason: 'prev_hash does not match the previous row',
          expected: previous,
          found: row.prev_hash,
        });
      const expected = chainHash(previous, canonicalText(row));
      if (row.hash !== expected) return broken({ id: row.id, reason: 'hash mismatch', expected, found: row.hash });
      if (signed[next] && signed[next]!.rowId < row.id)
        return atCheckpoint(signed[next]!, 'a checkpointed row is missing', null);
      while (signed[next]?.rowId === row.id) {
        const c = signed[next]!;
        if (c.hash !== expected || c.rows !== rows)
          return atCheckpoint(c, 'differs from a signed checkpoint', expected);
        intactUpTo = c.rowId;
        next += 1;
      }
      previous = expected;
      after = row.id;
    }
    if (page.rows.length < size) break;
  }
  // Rows cut from the end: the latest checkpoint says how far the log reached, and how many rows it had.
  if (latest && next < signed.length)
    return broken({
      id: latest.rowId,
      reason: 'the log ends before a signed checkpoint',
      expected: latest.hash,
      found: null,
      checkpoint: summaryOf(latest),
      intactUpTo,
      logEnd: after >= 0 ? { rowId: after, hash: previous } : null,
    });
  return { ok: !refusedAny, rows, ...summary(rows) };
}

/** Checkpoints in row order, one per (row, hash): several processes may sign the same head. */
function uniqueByRow(checkpoints: AuditCheckpoint[]): AuditCheckpoint[] {
  const seen = new Map<string, AuditCheckpoint>();
  for (const c of checkpoints)
    if (!seen.has(`${c.rowId}:${c.hash}:${c.rows}`)) seen.set(`${c.rowId}:${c.hash}:${c.rows}`, c);
  return [...seen.values()].sort((a, b) => a.rowId - b.rowId);
}
