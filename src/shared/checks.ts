// Checks and their verdicts, as the workflow, the API and the CLI see them.

export type Verdict = 'pass' | 'warn' | 'fail';

export type CheckName =
  // cohort checks (src/baseline)
  | 'min_size'
  | 'empty'
  | 'size_shift'
  | 'size_vs_baseline'
  | 'churn'
  | 'blast_radius'
  | 'drift'
  | 'value_shift'
  | 'definition_change'
  // data-source checks (src/ingest/quality.ts)
  | 'freshness'
  | 'volume'
  | 'quarantine_rate'
  | 'null_rate'
  | 'bad_files';

export interface CheckResult {
  name: CheckName;
  /** What the check looked at when it has several subjects, e.g. the attribute of a drift check. */
  subject?: string;
  verdict: Verdict;
  /** One line a person reads: the figure, the threshold, the direction. */
  reason: string;
  figures: Record<string, number | string | null>;
  thresholds: Record<string, number>;
  /** The structure behind the figures: kept in the stored report, never sent to the workflow. */
  details?: CheckDetails;
}

export interface CheckDetails {
  /** definition_change: what differs between the published definition and this one. */
  diff?: Array<{ path: string; before?: unknown; after?: unknown }>;
  /** definition_change: the versions written after the published one, up to this one. */
  versions?: Array<{ version: number; author: string; change: string; rationale: string }>;
  /** definition_change: cohorts referred to (in_cohort, transitively) whose definitions changed. */
  upstream?: UpstreamChange[];
  /** definition_change: shadows promoted into the versions after the published one, with each refresh they ran in. */
  shadows?: ShadowEvidence[];
  /** drift: members per bucket in the published snapshot and in this one. */
  buckets?: Array<{ bucket: string; previous: number; current: number }>;
}

/** A cohort referred to whose definition changed since the published snapshot was computed. */
export interface UpstreamChange {
  cohortId: string;
  /** The version the published snapshot used; null when the cohort did not exist then. */
  fromVersion: number | null;
  toVersion: number;
  authors: string[];
}

export type FlaggedCheck = Pick<CheckResult, 'name' | 'subject' | 'verdict' | 'reason'>;

/**
 * What the workflow learns from a cohort's baseline tests: the verdict, the checks that did not
 * pass (one line each), and who wrote definition versions since the last publish (four eyes).
 * The full report, with every figure, stays in Postgres (baseline_reports).
 */
export interface CohortReport {
  cohortId: string;
  snapshotId: string;
  verdict: Verdict;
  /** Only the checks that did not pass, one line each; figures and thresholds are in the stored report. */
  checks: FlaggedCheck[];
  /** Users who wrote definition versions newer than the published one; they may not approve the run. */
  changedBy?: string[];
  /** Cohorts it refers to whose definitions changed since its publish, with their authors (users): they may not approve it either. */
  upstreamChanges?: Array<{ cohortId: string; authors: string[] }>;
}

/** How a promoted definition behaved as a shadow beside the live one, run by run: what approvers read. */
export interface ShadowEvidence {
  shadowId: string;
  /** The definition version promote recorded. */
  version: number;
  proposedBy: string;
  promotedBy: string;
  runs: Array<{
    runId: string;
    asOf: string | null;
    liveSize: number | null;
    shadowSize: number | null;
    overlap: number | null;
    adds: number | null;
    removes: number | null;
    jaccard: number | null;
    verdict: Verdict | null;
    liveVerdict: Verdict | null;
    error: string | null;
  }>;
}
