// Shadow definitions as the workflow, the API and the CLI see them: a proposed version of a
// cohort's definition computed beside the live one in each refresh, compared, never published.

export type ShadowStatus = 'active' | 'finished' | 'stopped' | 'promoted';

/**
 * What one refresh learnt about one shadow: counts against the live snapshot of the same run and
 * the verdicts; the baseline checks and KPIs stay in Postgres (shadow_runs).
 */
export interface ShadowRunSummary {
  shadowId: string;
  cohortId: string;
  /** The live snapshot of the run and the shadow's; null when the shadow could not be computed. */
  liveSize: number | null;
  shadowSize: number | null;
  /** Members in both; in the shadow only (adds); live only (removes). */
  overlap: number | null;
  adds: number | null;
  removes: number | null;
  jaccard: number | null;
  /** The shadow's baseline verdict (as if it were published now) and the live snapshot's. */
  verdict: 'pass' | 'warn' | 'fail' | null;
  liveVerdict: 'pass' | 'warn' | 'fail' | null;
  /** Refreshes left after this one; 0 with status finished once it ran its N; null when the run could not reach it. */
  runsRemaining: number | null;
  status: ShadowStatus;
  /** Why this run has no figures: the proposal no longer fits the catalog, or it was stopped meanwhile. */
  error?: string;
}
