import type { Queryable } from './db';

// The one way into audit_log: every writer (runs, publish, rollback, definitions, notes,
// erasures, the workflow's own audit activity) appends through here, with one idempotency idiom.

export interface AuditRow {
  /**
   * Names the event, so writing it again (an activity retried, a request repeated) finds the row
   * and writes nothing: e.g. `run:<runId>:published`, `definition:<cohortId>:<version>`.
   */
  key: string;
  runId?: string | null;
  actor: string;
  action: string;
  details?: Record<string, unknown>;
}

/**
 * Appends the row unless one with its key is there already; true when it wrote. Call it last in
 * a transaction: the hash chain's trigger (migration 005) holds its lock until commit, and sets
 * id, prev_hash and hash itself. A skipped insert only leaves a gap in the ids.
 */
export async function appendAudit(db: Queryable, row: AuditRow): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO audit_log (key, run_id, actor, action, details) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`,
    [row.key, row.runId ?? null, row.actor, row.action, row.details ?? {}],
  );
  return (r.rowCount ?? 0) > 0;
}
