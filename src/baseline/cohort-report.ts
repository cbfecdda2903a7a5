import { worstVerdict } from '../ingest/verdicts';
import type { CheckResult, CohortReport, ShadowEvidence, UpstreamChange, Verdict } from '../shared';
import { authorsOf, definitionChangeCheck, type DefinitionHistory } from './definition-checks';
import { driftChecks, valueShiftCheck } from './drift-checks';
import { blastRadiusCheck, churnCheck, type MembershipOverlap } from './membership-checks';
import type { SnapshotProfile } from './profile';
import { emptyCheck, minSizeCheck, sizeShiftCheck, sizeVsBaselineCheck } from './size-checks';
import type { BaselineEntry, SnapshotUnderTest } from './snapshot-history';
import { thresholdsOf } from './thresholds';

/** The full report of one cohort in one run: every check with its figures, stored in baseline_reports. */
export interface CohortBaselineReport {
  cohortId: string;
  snapshotId: string;
  tier: string;
  verdict: Verdict;
  /** The published snapshot the comparative checks read; null on the first publish. */
  comparedTo: { snapshotId: string; version: number } | null;
  baseline: { snapshots: number };
  checks: CheckResult[];
  /** Authors of the definition versions after the published one (four eyes). */
  changedBy: string[];
}

/** Everything the checks of one new snapshot look at, gathered from Postgres beforehand. */
export interface CohortEvidence {
  snapshot: SnapshotUnderTest;
  baseline: BaselineEntry[];
  overlap: MembershipOverlap | null;
  profile: SnapshotProfile;
  publishedProfile: SnapshotProfile | null;
  definition: DefinitionHistory | null;
  /** Cohorts it refers to whose definitions changed since its published snapshot. */
  upstream?: UpstreamChange[];
  /** Shadows promoted into the versions after the published one: how the new rule behaved beside the old. */
  shadows?: ShadowEvidence[];
  /** The shadow evidence in one line, for the check's reason. */
  shadowText?: (e: ShadowEvidence) => string;
}

export function cohortReport(e: CohortEvidence): CohortBaselineReport {
  const s = e.snapshot;
  const t = thresholdsOf(s.checks);
  const checks = [
    minSizeCheck(s.size, t),
    emptyCheck(s.size, t),
    sizeShiftCheck(s.size, s.published?.size ?? null, t),
    sizeVsBaselineCheck(
      s.size,
      e.baseline.map((b) => b.size),
      t,
    ),
    churnCheck(e.overlap, t),
    blastRadiusCheck(e.overlap, t),
    ...driftChecks(e.publishedProfile, e.profile, t),
    valueShiftCheck(e.publishedProfile?.value ?? null, e.profile.value, t),
    definitionChangeCheck(
      s.definitionVersion,
      s.published?.definitionVersion ?? null,
      e.definition,
      e.upstream,
      e.shadows,
      e.shadowText,
    ),
  ];
  return {
    cohortId: s.cohortId,
    snapshotId: s.snapshotId,
    tier: s.tier,
    verdict: worstVerdict(checks.map((c) => c.verdict)),
    comparedTo: s.published ? { snapshotId: s.published.snapshotId, version: s.published.version } : null,
    baseline: { snapshots: e.baseline.length },
    checks,
    // Whoever proposed a promoted shadow wrote the rule as much as whoever promoted it: four eyes covers both.
    changedBy: [...new Set([...authorsOf(e.definition), ...(e.shadows ?? []).map((x) => x.proposedBy)])],
  };
}

/** What the workflow carries: the verdict, the checks that did not pass without their details, the authors. */
export function workflowReport(r: CohortBaselineReport): CohortReport {
  const flagged = r.checks
    .filter((c) => c.verdict !== 'pass')
    .map(({ name, subject, verdict, reason }) =>
      subject === undefined ? { name, verdict, reason } : { name, subject, verdict, reason },
    );
  // A version recorded by a run from an edited file reads "rita (file by growth, recorded by run …)":
  // the user is the leading name, and four eyes needs users.
  const userOf = (author: string) => author.split(' (')[0]!.trim();
  const changedBy = [...new Set(r.changedBy.map(userOf))];
  // Kept in the stored check, so a retry that reads the stored report answers the same.
  const upstream = r.checks.find((c) => c.name === 'definition_change')?.details?.upstream ?? [];
  const upstreamChanges = upstream.map((u) => ({ cohortId: u.cohortId, authors: [...new Set(u.authors.map(userOf))] }));
  return {
    cohortId: r.cohortId,
    snapshotId: r.snapshotId,
    verdict: r.verdict,
    checks: flagged,
    changedBy,
    ...(upstreamChanges.length ? { upstreamChanges } : {}),
  };
}
