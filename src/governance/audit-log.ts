import type { Queryable } from '../data/db';

// Reading the audit log as people do: a run's trail, or the latest entries.

export interface AuditEntry {
  id: number;
  at: string;
  runId: string | null;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  hash: string;
}

/** The latest `limit` entries (of one run, when given), oldest first; audit_log_run_idx serves a run. */
export async function auditEntries(db: Queryable, filter: { runId?: string; limit: number }): Promise<AuditEntry[]> {
  const r = await db.query<{
    id: number;
    at: Date;
    run_id: string | null;
    actor: string;
    action: string;
    details: Record<string, unknown>;
    hash: string;
  }>(
    `SELECT * FROM (SELECT id, at, run_id, actor, action, details, hash FROM audit_log
                    WHERE $1::text IS NULL OR run_id = $1 ORDER BY id DESC LIMIT $2) latest
     ORDER BY id`,
    [filter.runId ?? null, filter.limit],
  );
  return r.rows.map((x) => ({
    id: x.id,
    at: x.at.toISOString(),
    runId: x.run_id,
    actor: x.actor,
    action: x.action,
    details: x.details,
    hash: x.hash,
  }));
}
