import type { Db } from '../data/db';
import type { SourceReport } from '../shared';
import { cohortReport, type CohortBaselineReport } from './cohort-report';
import { profilesOf } from './profile-store';
import { storeCohortReport, storedCohortReports, storeSourceReports } from './report-store';
import { definitionHistory, membershipOverlap, snapshotsUnderTest, trailingBaselines } from './snapshot-history';
import { thresholdsOf } from './thresholds';
import { upstreamChanges } from './upstream-changes';
import { promotedShadows, shadowSentence } from '../shadows/shadow-report';

/** Snapshot ids that are not the run's own: a caller's mistake no retry fixes. */
export class UnknownSnapshots extends Error {}

export interface BaselineTestInput {
  runId: string;
  snapshotIds: string[];
  /** The ingest's per-source verdicts, stored with the run's report. */
  sources?: SourceReport[];
}

/**
 * Tests each new snapshot of the run against its cohort's published snapshot and trailing
 * baseline, and stores the full reports. A cohort already reported for this run keeps its
 * report, so a retry answers exactly what the first attempt stored.
 */
export async function testRunAgainstBaselines(db: Db, input: BaselineTestInput): Promise<CohortBaselineReport[]> {
  if (input.sources) await storeSourceReports(db, input.runId, input.sources);
  const snapshots = await snapshotsUnderTest(db, input.runId, input.snapshotIds);
  const unknown = input.snapshotIds.filter((id) => !snapshots.some((s) => s.snapshotId === id));
  if (unknown.length > 0) throw new UnknownSnapshots(`run ${input.runId} has no snapshots ${unknown.join(', ')}`);

  const stored = await storedCohortReports(db, input.runId);
  const todo = snapshots.filter((s) => stored.get(s.cohortId)?.snapshotId !== s.snapshotId);
  if (todo.length === 0) return snapshots.map((s) => stored.get(s.cohortId)!);

  const profiles = await profilesOf(
    db,
    todo.flatMap((s) => [
      { snapshotId: s.snapshotId, asOf: s.asOf },
      ...(s.published ? [{ snapshotId: s.published.snapshotId, asOf: s.published.asOf }] : []),
    ]),
  );
  const baselines = await trailingBaselines(
    db,
    todo.map((s) => ({ cohortId: s.cohortId, window: thresholdsOf(s.checks).baselineWindow })),
  );
  for (const s of todo) {
    const p = s.published;
    const report = cohortReport({
      snapshot: s,
      baseline: baselines.get(s.cohortId) ?? [],
      overlap: p ? await membershipOverlap(db, s.snapshotId, p.snapshotId) : null,
      profile: profiles.get(s.snapshotId)!,
      publishedProfile: p ? profiles.get(p.snapshotId)! : null,
      definition:
        p && p.definitionVersion !== s.definitionVersion
          ? await definitionHistory(db, s.cohortId, p.definitionVersion, s.definitionVersion)
          : null,
      upstream: p ? await upstreamChanges(db, input.runId, s.cohortId, p.snapshotId) : [],
      shadows:
        p && p.definitionVersion < s.definitionVersion
          ? await promotedShadows(db, s.cohortId, p.definitionVersion, s.definitionVersion)
          : [],
      shadowText: shadowSentence,
    });
    await storeCohortReport(db, input.runId, report);
    stored.set(s.cohortId, report);
  }
  return snapshots.map((s) => stored.get(s.cohortId)!);
}
