import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { Cadence, CohortTier, RefreshOutcome, RefreshStage } from './search-attributes';
import type { RefreshInput, RefreshOutcomeKind, RefreshStage as Stage, RefreshStatus } from '../shared';

/** What the `status` query shows, kept in step with the search attributes ops filter by. */
export class RefreshState {
  /** The id every activity, audit row and published version of the run carries. */
  readonly runId = workflowInfo().workflowId;
  readonly status: RefreshStatus;

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
    };
    upsertSearchAttributes([
      { key: Cadence, value: input.cadence },
      { key: CohortTier, value: input.tier },
      { key: RefreshStage, value: 'ingest' },
    ]);
  }

  enter(stage: Stage): void {
    this.status.stage = stage;
    upsertSearchAttributes([{ key: RefreshStage, value: stage }]);
  }

  /** The outcome is known (readers see it) while the run stays open, e.g. for its watch window. */
  settle(outcome: RefreshOutcomeKind): void {
    this.status.outcome = outcome;
    upsertSearchAttributes([{ key: RefreshOutcome, value: outcome }]);
  }

  finish(outcome: RefreshOutcomeKind): void {
    this.status.outcome = outcome;
    this.status.stage = 'done';
    upsertSearchAttributes([
      { key: RefreshStage, value: 'done' },
      { key: RefreshOutcome, value: outcome },
    ]);
  }
}
