import type { Queryable } from '../data/db';
import { activityLog, invalidInput } from './context';
import type { ActivityDeps } from './deps';

/** One cohort switched back: the new version it got, and the snapshot now current (null: none). */
export interface RestoredVersion {
  cohortId: string;
  version: number;
  /** The version whose snapshot is current again; null when the rolled-back version was the first. */
  restoresVersion: number | null;
  snapshotId: string | null;
  /** True when an earlier attempt (or rollback) had already written this version: nothing changed. */
  alreadyRestored: boolean;
}

export interface RestoreTarget {
  cohortId: string;
  /** The version being undone (refresh rollback) or the one to restore (rollback run). */
  snapshotId: string | null;
  restoresVersion: number | null;
}

export interface RollbackRequest {
  /** Written as published_versions.run_id, e.g. `${runId}:rollback:1`; the idempotency key. */
  rollbackId: string;
  /** The run the audit row belongs to: the refresh run, or the rollback workflow. */
  auditRunId: string;
  requestedBy: string;
  approvedBy: string;
  reason: string;
}

/**
 * Rolls back what refresh run `runId` published for `cohorts`: each cohort's current pointer goes
 * back to the snapshot that run's version replaced, as a new published version, in one transaction.
 */
export async function restorePrevious(
  deps: ActivityDeps,
  input: {
    runId: string;
    rollbackId: string;
    cohorts: string[];
    requestedBy: string;
    reason: string;
    approvedBy?: string;
  },
): Promise<RestoredVersion[]> {
  return deps.db.transaction(async (tx) => {
    await tx.query('LOCK TABLE cohort_current IN SHARE ROW EXCLUSIVE MODE');
    const undone = await tx.query<{
      cohort_id: string;
      version: number;
      snapshot_id: string;
      previous_snapshot_id: string | null;
    }>(
      'SELECT cohort_id, version, snapshot_id, previous_snapshot_id FROM published_versions WHERE run_id = $1 AND cohort_id = ANY($2::text[]) ORDER BY cohort_id',
      [input.runId, input.cohorts],
    );
    const missing = input.cohorts.filter((c) => !undone.rows.some((r) => r.cohort_id === c));
    if (missing.length > 0)
      throw invalidInput(`run ${input.runId} published no version of ${missing.join(', ')}; nothing rolled back`);
    const targets: RestoreTarget[] = [];
    for (const r of undone.rows) {
      const previous = r.previous_snapshot_id
        ? await tx.query<{ version: number }>(
            'SELECT max(version) AS version FROM published_versions WHERE cohort_id = $1 AND snapshot_id = $2 AND version < $3',
            [r.cohort_id, r.previous_snapshot_id, r.version],
          )
        : undefined;
      targets.push({
        cohortId: r.cohort_id,
        snapshotId: r.previous_snapshot_id,
        restoresVersion: previous?.rows[0]?.version ?? null,
      });
    }
    return switchTo(
      deps,
      tx,
      {
        rollbackId: input.rollbackId,
        auditRunId: input.runId,
        requestedBy: input.requestedBy,
        approvedBy: input.approvedBy ?? input.requestedBy,
        reason: input.reason,
      },
      targets,
      undone.rows.map((r) => ({ cohortId: r.cohort_id, snapshotId: r.snapshot_id })),
    );
  });
}

/** Restores one cohort's published `toVersion` as its current snapshot, as a new published version. */
export async function restoreVersion(
  deps: ActivityDeps,
  input: RollbackRequest & { cohortId: string; toVersion: number },
): Promise<RestoredVersion> {
  return deps.db.transaction(async (tx) => {
    await tx.query('LOCK TABLE cohort_current IN SHARE ROW EXCLUSIVE MODE');
    const target = await tx.query<{ snapshot_id: string | null }>(
      'SELECT snapshot_id FROM published_versions WHERE cohort_id = $1 AND version = $2',
      [input.cohortId, input.toVersion],
    );
    if (!target.rows[0])
      throw invalidInput(`${input.cohortId} has no published version ${input.toVersion}; nothing restored`);
    const [restored] = await switchTo(deps, tx, input, [
      { cohortId: input.cohortId, snapshotId: target.rows[0].snapshot_id, restoresVersion: input.toVersion },
    ]);
    return restored!;
  });
}

/** What a rollback run needs to know before asking for approval: the cohort's tier and published versions. */
export async function rollbackTarget(
  deps: ActivityDeps,
  input: { cohortId: string },
): Promise<{ tier: 'strategic' | 'tactical' | null; versions: number[]; current: number | null }> {
  const tier = await deps.db.query<{ tier: 'strategic' | 'tactical' }>(
    'SELECT tier FROM cohort_definitions WHERE cohort_id = $1 ORDER BY version DESC LIMIT 1',
    [input.cohortId],
  );
  const rows = await deps.db.query<{ version: number }>(
    'SELECT version FROM published_versions WHERE cohort_id = $1 ORDER BY version',
    [input.cohortId],
  );
  const versions = rows.rows.map((r) => r.version);
  return { tier: tier.rows[0]?.tier ?? null, versions, current: versions.at(-1) ?? null };
}

/**
 * Writes one new published version per target and moves (or, for a null snapshot, removes) the
 * current pointer, then audits `rollback`. A version already written under this rollback id is
 * returned as it is. With `expectCurrent`, a cohort published again since is refused, not clobbered.
 */
async function switchTo(
  deps: ActivityDeps,
  tx: Queryable,
  req: RollbackRequest,
  targets: RestoreTarget[],
  expectCurrent?: Array<{ cohortId: string; snapshotId: string }>,
): Promise<RestoredVersion[]> {
  const result: RestoredVersion[] = [];
  for (const t of targets) {
    const done = await tx.query<{ version: number; snapshot_id: string | null; restores_version: number | null }>(
      'SELECT version, snapshot_id, restores_version FROM published_versions WHERE run_id = $1 AND cohort_id = $2',
      [req.rollbackId, t.cohortId],
    );
    if (done.rows[0]) {
      result.push({
        cohortId: t.cohortId,
        version: done.rows[0].version,
        restoresVersion: done.rows[0].restores_version,
        snapshotId: done.rows[0].snapshot_id,
        alreadyRestored: true,
      });
      continue;
    }
    const current = await tx.query<{ snapshot_id: string }>(
      'SELECT snapshot_id FROM cohort_current WHERE cohort_id = $1',
      [t.cohortId],
    );
    const expected = expectCurrent?.find((e) => e.cohortId === t.cohortId);
    if (expected && current.rows[0]?.snapshot_id !== expected.snapshotId) {
      throw invalidInput(
        `${t.cohortId} was published again after this run (current snapshot ${current.rows[0]?.snapshot_id ?? 'none'}); roll it back to a chosen version with \`cohortflow cohorts rollback\``,
      );
    }
    const v = await tx.query<{ version: number }>(
      `INSERT INTO published_versions (cohort_id, version, snapshot_id, previous_snapshot_id, run_id, approved_by, restores_version, reason)
       SELECT $1, COALESCE((SELECT max(version) FROM published_versions WHERE cohort_id = $1), 0) + 1, $2, $3, $4, $5, $6, $7
       RETURNING version`,
      [
        t.cohortId,
        t.snapshotId,
        current.rows[0]?.snapshot_id ?? null,
        req.rollbackId,
        req.approvedBy,
        t.restoresVersion,
        req.reason,
      ],
    );
    if (t.snapshotId) {
      await tx.query(
        `INSERT INTO cohort_current (cohort_id, snapshot_id, run_id, published_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (cohort_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, run_id = EXCLUDED.run_id, published_at = EXCLUDED.published_at`,
        [t.cohortId, t.snapshotId, req.rollbackId],
      );
    } else {
      await tx.query('DELETE FROM cohort_current WHERE cohort_id = $1', [t.cohortId]);
    }
    result.push({
      cohortId: t.cohortId,
      version: v.rows[0]!.version,
      restoresVersion: t.restoresVersion,
      snapshotId: t.snapshotId,
      alreadyRestored: false,
    });
  }
  const fresh = result.filter((r) => !r.alreadyRestored);
  if (fresh.length > 0) {
    await tx.query(`INSERT INTO audit_log (run_id, actor, action, details) VALUES ($1, $2, 'rollback', $3)`, [
      req.auditRunId,
      req.requestedBy,
      { rollbackId: req.rollbackId, reason: req.reason, approvedBy: req.approvedBy, versions: fresh },
    ]);
  }
  activityLog(deps.log, { runId: req.auditRunId }).info(
    { rollbackId: req.rollbackId, restored: fresh.length, already: result.length - fresh.length },
    'rolled back',
  );
  return result;
}
