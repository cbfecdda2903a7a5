import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';
import { deliveries, stages } from './activities';
import { approvalGate, installDecisionHandlers } from './approval-gate';
import { RefreshState } from './refresh-state';
import type { ApprovalDecision, RefreshInput, RefreshOutcome, SnapshotRef } from './types';

/** One refresh cycle: ingest → compute → baseline-test → approval gate → publish. */
export async function refreshCycle(input: RefreshInput): Promise<RefreshOutcome> {
  const runId = workflowInfo().workflowId;
  const state = new RefreshState(input);
  installDecisionHandlers(state, input);

  await stages.registerRun({ runId, cadence: input.cadence, tier: input.tier, requestedBy: input.requestedBy, rationale: input.rationale });
  state.status.ingest = await stages.ingestSources({ runId });

  // "Now" means after this run's ingest, so the rows it just stored count (ingested_at <= asOf).
  const asOf = input.asOf ?? new Date().toISOString();
  state.status.asOf = asOf;
  state.enter('compute');
  const snapshots = await computeCohorts(runId, input, asOf);
  state.status.cohorts = snapshots;

  state.enter('baseline-test');
  state.status.reports = await stages.testAgainstBaselines({ runId, snapshotIds: snapshots.map((s) => s.snapshotId) });
  for (const c of state.status.cohorts) c.verdict = state.status.reports.find((r) => r.cohortId === c.cohortId)?.verdict;

  const decision = await approvalGate(state, input, state.status.reports);
  if (decision.kind !== 'approved') return finish(state, decision.kind, decision);

  state.enter('publish');
  const published = await stages.publishSnapshots({ runId, snapshotIds: snapshots.map((s) => s.snapshotId), approvedBy: decision.by });
  const delivered = (await Promise.all(published.map((p) => deliveries.deliverCohort({ runId, cohortId: p.cohortId })))).flat();
  return finish(state, 'published', decision, published, delivered);
}

async function computeCohorts(runId: string, input: RefreshInput, asOf: string): Promise<SnapshotRef[]> {
  const planned = await stages.planCompute({ runId, asOf, tier: input.tier, author: input.requestedBy, rationale: input.rationale });
  return Promise.all(planned.map((p) => stages.computeCohort({ runId, ...p, asOf })));
}

async function finish(
  state: RefreshState,
  outcome: RefreshOutcome['outcome'],
  decision: ApprovalDecision,
  published: RefreshOutcome['published'] = [],
  delivered: RefreshOutcome['deliveries'] = [],
): Promise<RefreshOutcome> {
  await stages.recordOutcome({ runId: state.status.runId, outcome });
  state.finish(outcome);
  // Let a decision handler that is still auditing finish before the run closes.
  await condition(allHandlersFinished);
  return { runId: state.status.runId, outcome, decision, published, deliveries: delivered };
}
