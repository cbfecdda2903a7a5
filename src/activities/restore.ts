import {
  restorePrevious as restorePublished,
  restoreVersion as restorePublishedVersion,
  rollbackTarget as rollbackTargetOf,
  type RestoredVersion,
  type RollbackRequest,
} from '../publishing/restore';
import { activityLog } from './context';
import type { ActivityDeps } from './deps';
import { publishingChecked } from './publish';

export type { RestoredVersion };

/** Puts back the snapshots refresh run `runId` replaced, each as a new published version (src/publishing). */
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
  const restored = await publishingChecked(() => restorePublished(deps.db, input));
  logRestored(deps, input.runId, input.rollbackId, restored);
  return restored;
}

/** Restores one cohort's published `toVersion` as a new published version. */
export async function restoreVersion(
  deps: ActivityDeps,
  input: RollbackRequest & { cohortId: string; toVersion: number },
): Promise<RestoredVersion> {
  const restored = await publishingChecked(() => restorePublishedVersion(deps.db, input));
  logRestored(deps, input.auditRunId, input.rollbackId, [restored]);
  return restored;
}

/** The cohort's tier and published versions, for a rollback run to ask the right approvers. */
export async function rollbackTarget(deps: ActivityDeps, input: { cohortId: string }) {
  return rollbackTargetOf(deps.db, input.cohortId);
}

function logRestored(deps: ActivityDeps, runId: string, rollbackId: string, restored: RestoredVersion[]): void {
  const fresh = restored.filter((r) => !r.alreadyRestored).length;
  activityLog(deps.log, { runId }).info(
    { rollbackId, restored: fresh, already: restored.length - fresh },
    'rolled back',
  );
}
