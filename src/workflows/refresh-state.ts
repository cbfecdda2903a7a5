import { metricMeter, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { Cadence, CohortTier, RefreshOutcome, RefreshStage } from './search-attributes';
import type { Count, RefreshInput, RefreshOutcomeKind, RefreshStage as Stage, RefreshStatus } from '../shared';

/** Stages that do work (the others wait for people or for time): they report progress. */
const WORKING: ReadonlySet<Stage> = new Set(['ingest', 'compute', 'baseline-test', 'publish']);

/** What the `status` query shows, kept in step with the search attributes ops filter by. */
export class RefreshState {
  /** The id every activity, audit row and published version of the run carries. */
  readonly runId = workflowInfo().workflowId;
  readonly status: RefreshStatus;
  /** When the current stage began: its duration is recorded as it ends (the worker's metrics). */
  private stageSince = Date.now();
  private readonly stageSeconds = metricMeter.createHistogram(
    'cohortflow_stage_seconds',
    'float',
    's',
    'How long each stage of a refresh run took',
  );

  constructor(input: RefreshInput) {
    this.status = {
      runId: this.runId,
      stage: 'ingest',
      cadence: input.cadence,
      tier: input.tier,
      requestedBy: input.requestedBy,
      asOf: input.asOf,
      cohorts: [],
      reports: [],
      ignored: [],
      progress: { step: 'ingest', since: new Date().toISOString() },
    };
    upsertSearchAttributes([
      { key: Cadence, value: input.cadence },
      { key: CohortTier, value: input.tier },
      { key: RefreshStage, value: 'ingest' },
    ]);
  }

  enter(stage: Stage): void {
    this.stageEnded();
    this.status.stage = stage;
    this.status.progress = WORKING.has(stage) ? { step: stage, since: new Date().toISOString() } : undefined;
    upsertSearchAttributes([{ key: RefreshStage, value: stage }]);
  }

  /** A new step of the working stage, e.g. the per-cohort computes after the measures pass. */
  step(step: string, cohorts?: Count): void {
    this.status.progress = { step, since: new Date().toISOString(), ...(cohorts ? { cohorts } : {}) };
  }

  /** One more cohort of the current step is done. */
  cohortDone(): void {
    const cohorts = this.status.progress?.cohorts;
    if (cohorts) cohorts.done += 1;
  }

  /** The outcome is known (readers see it) while the run stays open, e.g. for its watch window. */
  settle(outcome: RefreshOutcomeKind): void {
    this.status.outcome = outcome;
    upsertSearchAttributes([{ key: RefreshOutcome, value: outcome }]);
  }

  finish(outcome: RefreshOutcomeKind): void {
    this.stageEnded();
    this.status.outcome = outcome;
    this.status.stage = 'done';
    this.status.progress = undefined;
    upsertSearchAttributes([
      { key: RefreshStage, value: 'done' },
      { key: RefreshOutcome, value: outcome },
    ]);
  }

  private stageEnded(): void {
    const now = Date.now();
    this.stageSeconds.record((now - this.stageSince) / 1000, { stage: this.status.stage });
    this.stageSince = now;
  }
}
