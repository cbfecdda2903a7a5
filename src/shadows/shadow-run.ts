import type { Db, Queryable } from '../data/db';
import { appendAudit } from '../data/audit';
import { InvalidDefinitionError } from '../cohorts/catalog';
import { snapshotIdOf } from '../cohorts/run-compute';
import { driftChecks, valueShiftCheck } from '../baseline/drift-checks';
import { blastRadiusCheck, churnCheck } from '../baseline/membership-checks';
import { computeProfiles } from '../baseline/profile';
import { profilesOf } from '../baseline/profile-store';
import { snapshotsUnderTest, trailingBaselines } from '../baseline/snapshot-history';
import { emptyCheck, minSizeCheck, sizeShiftCheck, sizeVsBaselineCheck } from '../baseline/size-checks';
import { jaccard } from '../baseline/statistics';
import { round, thresholdsOf } from '../baseline/thresholds';
import { worstVerdict } from '../ingest/verdicts';
import type { CheckResult, ShadowRunSummary, ShadowStatus, Verdict } from '../shared';
import { computeShadowSnapshot, sharedWithSnapshot } from './shadow-compute';
import { shadowKpis, type ShadowKpis } from './shadow-kpis';
import { shadowOf } from './shadow-store';

// One shadow in one refresh: compute the proposal, test it against the published snapshot as the
// live cohort is tested, compare it with the live snapshot of the same run, store the figures and
// count the run. Idempotent per (shadow, run): a retry answers what the first attempt stored.

interface Figures {
  liveSnapshotId: string;
  liveVersion: number;
  shadowSnapshotId: string;
  liveSize: number;
  shadowSize: number;
  overlap: number;
  liveVerdict: Verdict | null;
  verdict: Verdict;
  checks: CheckResult[];
  kpis: ShadowKpis;
}

/**
 * The baseline checks a live snapshot goes through, with the proposal's thresholds, against the
 * cohort's published snapshot and trailing baseline. definition_change is left out: a shadow is a
 * changed definition by construction, and its diff is the shadow itself.
 */
async function shadowChecks(
  db: Db,
  input: { runId: string; cohortId: string; shadowSnapshotId: string; size: number; asOf: Date; checks: unknown },
): Promise<{ checks: CheckResult[]; meanValue: number | null; liveMeanValue: number | null }> {
  const t = thresholdsOf(input.checks);
  const live = (await snapshotsUnderTest(db, input.runId, [snapshotIdOf(input.runId, input.cohortId)]))[0]!;
  const published = live.published;
  const [profile] = await computeProfiles(db, input.asOf, [input.shadowSnapshotId], 'shadow');
  const stored = await profilesOf(db, [
    { snapshotId: live.snapshotId, asOf: live.asOf },
    ...(published ? [{ snapshotId: published.snapshotId, asOf: published.asOf }] : []),
  ]);
  const publishedProfile = published ? stored.get(published.snapshotId)! : null;
  const baseline = (await trailingBaselines(db, [{ cohortId: input.cohortId, window: t.baselineWindow }])).get(
    input.cohortId,
  )!;
  const overlap = published
    ? {
        size: input.size,
        previousSize: published.size,
        common: await sharedWithSnapshot(db, input.shadowSnapshotId, published.snapshotId),
      }
    : null;
  const checks = [
    minSizeCheck(input.size, t),
    emptyCheck(input.size, t),
    sizeShiftCheck(input.size, published?.size ?? null, t),
    sizeVsBaselineCheck(
      input.size,
      baseline.map((b) => b.size),
      t,
    ),
    churnCheck(overlap, t),
    blastRadiusCheck(overlap, t),
    ...driftChecks(publishedProfile, profile!, t),
    valueShiftCheck(publishedProfile?.value ?? null, profile!.value, t),
  ];
  return { checks, meanValue: profile!.value.mean, liveMeanValue: stored.get(live.snapshotId)?.value.mean ?? null };
}

async function figuresOf(
  db: Db,
  input: { runId: string; shadowId: string; cohortId: string; asOf: string },
  proposed: Parameters<typeof computeShadowSnapshot>[1]['proposed'],
): Promise<Figures> {
  const liveSnapshotId = snapshotIdOf(input.runId, input.cohortId);
  const live = await db.query<{ size: number; definition_version: number; verdict: Verdict | null }>(
    `SELECT s.size, s.definition_version, b.verdict FROM cohort_snapshots s
     LEFT JOIN baseline_reports b ON b.run_id = s.run_id AND b.cohort_id = s.cohort_id WHERE s.snapshot_id = $1`,
    [liveSnapshotId],
  );
  if (!live.rows[0]) throw new Error(`run ${input.runId} has no live snapshot of ${input.cohortId} to compare with`);
  const shadow = await computeShadowSnapshot(db, { ...input, proposed });
  const asOf = new Date(input.asOf);
  const tested = await shadowChecks(db, {
    runId: input.runId,
    cohortId: input.cohortId,
    shadowSnapshotId: shadow.snapshotId,
    size: shadow.size,
    asOf,
    checks: proposed.checks,
  });
  return {
    liveSnapshotId,
    liveVersion: live.rows[0].definition_version,
    shadowSnapshotId: shadow.snapshotId,
    liveSize: live.rows[0].size,
    shadowSize: shadow.size,
    overlap: await sharedWithSnapshot(db, shadow.snapshotId, liveSnapshotId),
    liveVerdict: live.rows[0].verdict,
    verdict: worstVerdict(tested.checks.map((c) => c.verdict)),
    checks: tested.checks,
    kpis: await shadowKpis(db, {
      liveSnapshotId,
      shadowSnapshotId: shadow.snapshotId,
      asOf,
      liveMeanValue: tested.liveMeanValue,
      shadowMeanValue: tested.meanValue,
    }),
  };
}

/** Computes, tests and compares the shadow in this run, then counts the run (once). */
export async function runShadow(
  db: Db,
  input: { runId: string; shadowId: string; cohortId: string; asOf: string },
): Promise<ShadowRunSummary> {
  const done = await storedSummary(db, input.runId, input.shadowId);
  if (done) return done;
  const shadow = await shadowOf(db, input.cohortId, input.shadowId);
  if (shadow.status !== 'active')
    return record(db, input, { error: `the shadow was ${shadow.status} before this run computed it` }, false);
  try {
    return await record(db, input, await figuresOf(db, input, shadow.proposed), true);
  } catch (err) {
    // The catalog changed under the proposal: this run has no figures for it, and says why.
    if (err instanceof InvalidDefinitionError) return record(db, input, { error: err.problems.join('; ') }, true);
    throw err;
  }
}

/** Stores the run's figures (or why it has none) and, when it counts, takes one run off the shadow. */
async function record(
  db: Db,
  input: { runId: string; shadowId: string; cohortId: string; asOf: string },
  outcome: Figures | { error: string },
  counts: boolean,
): Promise<ShadowRunSummary> {
  await db.transaction(async (tx) => {
    const f = 'error' in outcome ? null : outcome;
    const updated = await tx.query(
      `UPDATE shadow_runs SET as_of = $3, live_snapshot_id = $4, live_version = $5, shadow_snapshot_id = $6, live_size = $7,
         shadow_size = $8, overlap = $9, adds = $10, removes = $11, jaccard = $12, verdict = $13, live_verdict = $14,
         report = $15, error = $16, done_at = now()
       WHERE shadow_id = $1 AND run_id = $2 AND done_at IS NULL`,
      [
        input.shadowId,
        input.runId,
        input.asOf,
        f?.liveSnapshotId ?? null,
        f?.liveVersion ?? null,
        f?.shadowSnapshotId ?? null,
        f?.liveSize ?? null,
        f?.shadowSize ?? null,
        f?.overlap ?? null,
        f ? f.shadowSize - f.overlap : null,
        f ? f.liveSize - f.overlap : null,
        f ? round(jaccard(f.overlap, f.shadowSize, f.liveSize), 4) : null,
        f?.verdict ?? null,
        f?.liveVerdict ?? null,
        f ? { checks: f.checks, kpis: f.kpis } : null,
        'error' in outcome ? outcome.error : null,
      ],
    );
    if (!updated.rowCount || !counts) return;
    const left = await tx.query<{ runs_remaining: number; status: ShadowStatus }>(
      `UPDATE cohort_shadows SET runs_remaining = runs_remaining - 1,
         status = CASE WHEN runs_remaining - 1 = 0 THEN 'finished' ELSE status END,
         ended_at = CASE WHEN runs_remaining - 1 = 0 THEN now() ELSE ended_at END,
         end_reason = CASE WHEN runs_remaining - 1 = 0 THEN 'ran every refresh it was started for' ELSE end_reason END
       WHERE shadow_id = $1 AND status = 'active' RETURNING runs_remaining, status`,
      [input.shadowId],
    );
    const after = left.rows[0];
    await appendAudit(tx, {
      key: `shadow:${input.shadowId}:run:${input.runId}`,
      runId: input.runId,
      actor: 'cohortflow',
      action: after?.status === 'finished' ? 'shadow.finished' : 'shadow.ran',
      details: {
        cohortId: input.cohortId,
        shadowId: input.shadowId,
        runsRemaining: after?.runs_remaining ?? null,
        ...(f ? { liveSize: f.liveSize, shadowSize: f.shadowSize, overlap: f.overlap, verdict: f.verdict } : {}),
        ...('error' in outcome ? { error: outcome.error } : {}),
      },
    });
  });
  return (await storedSummary(db, input.runId, input.shadowId))!;
}

/** The run's stored figures for the shadow, once they are done. */
export async function storedSummary(
  db: Queryable,
  runId: string,
  shadowId: string,
): Promise<ShadowRunSummary | undefined> {
  const r = await db.query<{
    cohort_id: string;
    live_size: number | null;
    shadow_size: number | null;
    overlap: number | null;
    adds: number | null;
    removes: number | null;
    jaccard: number | null;
    verdict: Verdict | null;
    live_verdict: Verdict | null;
    error: string | null;
    runs_remaining: number;
    status: ShadowStatus;
  }>(
    `SELECT s.cohort_id, r.live_size, r.shadow_size, r.overlap, r.adds, r.removes, r.jaccard, r.verdict, r.live_verdict, r.error,
            s.runs_remaining, s.status
     FROM shadow_runs r JOIN cohort_shadows s USING (shadow_id) WHERE r.run_id = $1 AND r.shadow_id = $2 AND r.done_at IS NOT NULL`,
    [runId, shadowId],
  );
  const x = r.rows[0];
  if (!x) return undefined;
  return {
    shadowId,
    cohortId: x.cohort_id,
    liveSize: x.live_size,
    shadowSize: x.shadow_size,
    overlap: x.overlap,
    adds: x.adds,
    removes: x.removes,
    jaccard: x.jaccard,
    verdict: x.verdict,
    liveVerdict: x.live_verdict,
    runsRemaining: x.runs_remaining,
    status: x.status,
    ...(x.error ? { error: x.error } : {}),
  };
}
