import { assignAtPublish } from '../experiments/publish-assignment';
import type { Db, Queryable } from '../data/db';
import { appendAudit } from '../data/audit';
import { PublishRefused } from './publish';
import {
  currentSnapshot,
  insertVersion,
  lockPublishing,
  movePointer,
  publishedVersion,
  versionNumbers,
  versionOfSnapshot,
  versionsOfRun,
  versionWrittenBy,
} from './published-versions';

// A rollback is a new published version whose snapshot is an older one's, never an edit: the
// history keeps what was published, what undid it, who asked, who agreed and why.

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

interface RestoreTarget {
  cohortId: string;
  /** The snapshot to make current again; null withdraws the cohort. */
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
  db: Db,
  input: {
    runId: string;
    rollbackId: string;
    cohorts: string[];
    requestedBy: string;
    reason: string;
    approvedBy?: string;
  },
): Promise<RestoredVersion[]> {
  return db.transaction(async (tx) => {
    await lockPublishing(tx);
    const undone = await versionsOfRun(tx, input.runId, input.cohorts);
    const missing = input.cohorts.filter((c) => !undone.some((r) => r.cohortId === c));
    if (missing.length > 0)
      throw new PublishRefused(`run ${input.runId} published no version of ${missing.join(', ')}; nothing rolled back`);
    const targets: RestoreTarget[] = [];
    for (const r of undone) {
      targets.push({
        cohortId: r.cohortId,
        snapshotId: r.previousSnapshotId,
        restoresVersion: r.previousSnapshotId
          ? await versionOfSnapshot(tx, r.cohortId, r.previousSnapshotId, r.version)
          : null,
      });
    }
    const request: RollbackRequest = {
      rollbackId: input.rollbackId,
      auditRunId: input.runId,
      requestedBy: input.requestedBy,
      approvedBy: input.approvedBy ?? input.requestedBy,
      reason: input.reason,
    };
    return switchTo(tx, request, targets, undone);
  });
}

/** Restores one cohort's published `toVersion` as its current snapshot, as a new published version. */
export async function restoreVersion(
  db: Db,
  input: RollbackRequest & { cohortId: string; toVersion: number },
): Promise<RestoredVersion> {
  return db.transaction(async (tx) => {
    await lockPublishing(tx);
    const target = await publishedVersion(tx, input.cohortId, input.toVersion);
    if (!target)
      throw new PublishRefused(`${input.cohortId} has no published version ${input.toVersion}; nothing restored`);
    const [restored] = await switchTo(tx, input, [
      { cohortId: input.cohortId, snapshotId: target.snapshotId, restoresVersion: input.toVersion },
    ]);
    return restored!;
  });
}

/** What a rollback run needs to know before asking for approval: the cohort's tier and published versions. */
export async function rollbackTarget(
  db: Queryable,
  cohortId: string,
): Promise<{ tier: 'strategic' | 'tactical' | null; versions: number[]; current: number | null }> {
  const tier = await db.query<{ tier: 'strategic' | 'tactical' }>(
    'SELECT tier FROM cohort_definitions WHERE cohort_id = $1 ORDER BY version DESC LIMIT 1',
    [cohortId],
  );
  const versions = await versionNumbers(db, cohortId);
  return { tier: tier.rows[0]?.tier ?? null, versions, current: versions.at(-1) ?? null };
}

/**
 * Writes one new published version per target and moves (or, for a null snapshot, removes) the
 * current pointer, then audits `rollback` once per rollback id. A version already written under
 * this rollback id is returned as it is. With `expectCurrent`, a cohort published again since is
 * refused, not clobbered.
 */
async function switchTo(
  tx: Queryable,
  req: RollbackRequest,
  targets: RestoreTarget[],
  expectCurrent?: Array<{ cohortId: string; snapshotId: string }>,
): Promise<RestoredVersion[]> {
  const result: RestoredVersion[] = [];
  for (const t of targets) {
    const done = await versionWrittenBy(tx, req.rollbackId, t.cohortId);
    if (done) {
      const { version, restoresVersion, snapshotId } = done;
      result.push({ cohortId: t.cohortId, version, restoresVersion, snapshotId, alreadyRestored: true });
      continue;
    }
    const current = await currentSnapshot(tx, t.cohortId);
    const expected = expectCurrent?.find((e) => e.cohortId === t.cohortId);
    if (expected && current !== expected.snapshotId) {
      throw new PublishRefused(
        `${t.cohortId} was published again after this run (current snapshot ${current ?? 'none'}); roll it back to a chosen version with \`cohortflow cohorts rollback\``,
      );
    }
    const version = await insertVersion(tx, {
      cohortId: t.cohortId,
      snapshotId: t.snapshotId,
      runId: req.rollbackId,
      approvedBy: req.approvedBy,
      restoresVersion: t.restoresVersion,
      reason: req.reason,
    });
    await movePointer(tx, t.cohortId, t.snapshotId, req.rollbackId);
    if (t.snapshotId)
      await assignAtPublish(tx, {
        runId: req.rollbackId,
        cohortId: t.cohortId,
        snapshotId: t.snapshotId,
        reallocate: false,
      });
    const { restoresVersion, snapshotId } = t;
    result.push({ cohortId: t.cohortId, version, restoresVersion, snapshotId, alreadyRestored: false });
  }
  const fresh = result.filter((r) => !r.alreadyRestored);
  if (fresh.length > 0) {
    await appendAudit(tx, {
      key: `rollback:${req.rollbackId}`,
      runId: req.auditRunId,
      actor: req.requestedBy,
      action: 'rollback',
      details: { rollbackId: req.rollbackId, reason: req.reason, approvedBy: req.approvedBy, versions: fresh },
    });
  }
  return result;
}
