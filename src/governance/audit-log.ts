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

export interface AuditFilter {
  runId?: string;
  /** Entries that name the cohort anywhere in their details (a decision's cohorts, a version's id…). */
  cohortId?: string;
  actor?: string;
  /** An action (`decision.approved`) or a family of them (`decision`). */
  action?: string;
  limit: number;
}

/**
 * The latest `limit` entries that match every filter given, oldest first; audit_log_run_idx
 * serves a run, the others scan the log from its newest end.
 */
export async function auditEntries(db: Queryable, filter: AuditFilter): Promise<AuditEntry[]> {
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
                    WHERE ($1::text IS NULL OR run_id = $1)
                      AND ($3::text IS NULL OR jsonb_path_exists(details, '$.** ? (@ == $c)', jsonb_build_object('c', $3::text))
                           OR key LIKE 'definition:' || $3 || ':%')
                      AND ($4::text IS NULL OR actor = $4)
                      AND ($5::text IS NULL OR action = $5 OR action LIKE $5 || '.%')
                    ORDER BY id DESC LIMIT $2) latest
     ORDER BY id`,
    [filter.runId ?? null, filter.limit, filter.cohortId ?? null, filter.actor ?? null, filter.action ?? null],
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
