import type { Queryable } from '../data/db';

// A run's stages with when each began and ended, read from its audit trail, so it stays readable
// after the workflow is gone. The workflow audits the end of each stage (stage.ingest,
// stage.compute, stage.baseline-test), the gate's opening (approval.requested) and every decision;
// publishing audits run.published; every run ends with its outcome row. A stage begins when the
// one before it ends.

export const TIMELINE_STAGES = ['ingest', 'compute', 'baseline-test', 'awaiting-approval', 'publish'] as const;
export type TimelineStage = (typeof TIMELINE_STAGES)[number];

export interface StageSpan {
  stage: TimelineStage;
  /** done; running now; failed in it; skipped (the policy passed every cohort); not reached. */
  state: 'done' | 'running' | 'failed' | 'skipped' | 'not-reached';
  startedAt: string | null;
  endedAt: string | null;
  durationMs: number | null;
}

export interface RunTimeline {
  runId: string;
  startedAt: string | null;
  /** How the run ended (published is set when publishing ends, before any watch window). */
  outcome: string | null;
  stages: StageSpan[];
  /** What Postgres holds so far: the live progress of ingest, compute and the baseline tests. */
  progress: { sourcesIngested: number; cohortsPlanned: number; cohortsComputed: number; reportsStored: number };
}

export interface TimelineEntry {
  key: string;
  action: string;
  at: string;
}

const DECISIONS = /^decision\.(approved|rejected|changes-requested|expired)$/;

/** The stages from a run's audit entries (oldest first); pure, so every path is tested as a table. */
export function stagesOf(runId: string, entries: TimelineEntry[]): { startedAt: string | null; stages: StageSpan[] } {
  const first = (test: (e: TimelineEntry) => boolean) => entries.find(test);
  const started = first((e) => e.action === 'run.started');
  const outcome = entries.find((e) => e.key.startsWith(`run:${runId}:outcome:`));
  const published = first((e) => e.key === `run:${runId}:outcome:published`);
  const publishStarted = first((e) => e.key === `run:${runId}:published`);
  const gateOpened = first((e) => e.action === 'approval.requested');
  // The gate closes with the last decision taken before the run went on (or ended).
  const after = publishStarted ?? outcome;
  const gateClosed = after
    ? entries.filter((e) => DECISIONS.test(e.action) && entries.indexOf(e) < entries.indexOf(after)).at(-1)
    : undefined;
  const baselineEnd = first((e) => e.action === 'stage.baseline-test');
  const ends: Record<TimelineStage, TimelineEntry | undefined> = {
    ingest: first((e) => e.action === 'stage.ingest' || e.action === 'ingest.quality_failed'),
    compute: first((e) => e.action === 'stage.compute'),
    'baseline-test': baselineEnd,
    'awaiting-approval': gateOpened ? gateClosed : publishStarted ? baselineEnd : undefined,
    publish: published,
  };
  const ended = outcome !== undefined;
  const failed = outcome?.key.endsWith(':failed') ?? false;

  let previousEnd = started?.at ?? null;
  let current = false;
  const stages = TIMELINE_STAGES.map((stage): StageSpan => {
    const end = ends[stage];
    if (end && !current) {
      // Data quality stops a run at the end of its ingest: nothing after it runs.
      const stopped = end.action === 'ingest.quality_failed';
      const state = stopped ? 'failed' : stage === 'awaiting-approval' && !gateOpened ? 'skipped' : 'done';
      const span = spanOf(stage, previousEnd, end.at, state);
      previousEnd = end.at;
      current ||= stopped;
      return span;
    }
    if (current || previousEnd === null) return spanOf(stage, null, null, 'not-reached');
    current = true;
    if (!ended) return spanOf(stage, previousEnd, null, 'running');
    return failed ? spanOf(stage, previousEnd, outcome.at, 'failed') : spanOf(stage, null, null, 'not-reached');
  });
  return { startedAt: started?.at ?? null, stages };
}

function spanOf(
  stage: TimelineStage,
  startedAt: string | null,
  endedAt: string | null,
  state: StageSpan['state'],
): StageSpan {
  const durationMs =
    startedAt && endedAt ? Math.max(0, new Date(endedAt).getTime() - new Date(startedAt).getTime()) : null;
  return { stage, state, startedAt, endedAt, durationMs };
}

/** The run's timeline, or undefined for a run the database never heard of. audit_log_run_idx serves the read. */
export async function runTimeline(db: Queryable, runId: string): Promise<RunTimeline | undefined> {
  const run = await db.query<{ outcome: string | null }>('SELECT outcome FROM runs WHERE run_id = $1', [runId]);
  if (!run.rows[0]) return undefined;
  const entries = await db.query<{ key: string; action: string; at: Date }>(
    'SELECT key, action, at FROM audit_log WHERE run_id = $1 ORDER BY id',
    [runId],
  );
  const progress = await db.query<RunTimeline['progress']>(
    `SELECT (SELECT count(*)::int FROM source_ingests WHERE run_id = $1) AS "sourcesIngested",
            (SELECT count(*)::int FROM run_cohorts WHERE run_id = $1 AND scope = 'publish') AS "cohortsPlanned",
            (SELECT count(*)::int FROM cohort_snapshots s JOIN run_cohorts c USING (run_id, cohort_id)
              WHERE s.run_id = $1 AND c.scope = 'publish') AS "cohortsComputed",
            (SELECT count(*)::int FROM baseline_reports WHERE run_id = $1) AS "reportsStored"`,
    [runId],
  );
  const { startedAt, stages } = stagesOf(
    runId,
    entries.rows.map((e) => ({ key: e.key, action: e.action, at: e.at.toISOString() })),
  );
  return { runId, startedAt, outcome: run.rows[0].outcome, stages, progress: progress.rows[0]! };
}
