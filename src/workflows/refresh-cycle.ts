import { allHandlersFinished, condition, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import { deliveries, stages } from './activities';
import { ApprovalGate } from './approval-gate';
import { installLegacyDecisionHandlers, legacyApprovalGate } from './approval-gate-v1';
import { inDependencyOrder } from './compute-order';
import { RefreshState } from './refresh-state';
import { WatchWindow } from './watch-window';
import type { ApprovalDecision, IngestSummary, RefreshInput, RefreshOutcome, SnapshotRef } from '../shared';

/** One refresh cycle: ingest → compute → baseline-test → approval gate → publish → watch window (rollback). */
export async function refreshCycle(input: RefreshInput): Promise<RefreshOutcome> {
  const runId = workflowInfo().workflowId;
  // Runs started before the governed gate keep the single-decision gate they began with.
  const governed = patched('governed-approval-gate');
  const state = new RefreshState(input);
  const gate = governed ? new ApprovalGate(state, input) : undefined;
  if (!gate) installLegacyDecisionHandlers(state, input);
  // Runs started before rollback existed end right after publish, as they began.
  const watch = patched('rollback-watch-window') ? new WatchWindow(state, input) : undefined;
  try {
    return await refresh(runId, input, state, gate, watch);
  } catch (err) {
    // A stage that cannot go on (invalid definitions, exhausted retries) still closes the run
    // as failed, visibly, in the status, the search attributes and the runs table.
    if (isCancellation(err)) throw err;
    state.status.failure = (err as Error).message;
    await stages.recordOutcome({ runId, outcome: 'failed' });
    state.finish('failed');
    throw err;
  }
}

async function refresh(
  runId: string,
  input: RefreshInput,
  state: RefreshState,
  gate: ApprovalGate | undefined,
  watch: WatchWindow | undefined,
): Promise<RefreshOutcome> {
  await stages.registerRun({
    runId,
    cadence: input.cadence,
    tier: input.tier,
    requestedBy: input.requestedBy,
    rationale: input.rationale,
  });
  const ingest = await stages.ingestSources({ runId });
  state.status.ingest = ingest;
  if (gate) await stages.audit({ runId, actor: 'cohortflow', action: 'stage.ingest', details: countsOf(ingest) });
  const qualityFailure = failedQuality(ingest);
  if (qualityFailure) {
    // A data-quality failure never flows on unseen: stop before compute, say why.
    state.status.failure = `data quality failed before compute — ${qualityFailure.reason}`;
    await stages.audit({ runId, actor: 'cohortflow', action: 'ingest.quality_failed', details: qualityFailure });
    return finish(state, 'failed');
  }

  // "Now" means after this run's ingest, so the rows it just stored count (ingested_at <= asOf).
  const asOf = input.asOf ?? new Date().toISOString();
  state.status.asOf = asOf;
  state.enter('compute');
  const snapshots = await computeCohorts(runId, input, asOf);
  state.status.cohorts = snapshots;
  if (gate)
    await stages.audit({
      runId,
      actor: 'cohortflow',
      action: 'stage.compute',
      details: {
        asOf,
        cohorts: snapshots.map((s) => ({
          cohortId: s.cohortId,
          snapshotId: s.snapshotId,
          definitionVersion: s.definitionVersion,
          size: s.size,
        })),
      },
    });

  state.enter('baseline-test');
  const snapshotIds = snapshots.map((s) => s.snapshotId);
  const sources = ingest.sources ?? [];
  state.status.reports = await stages.testAgainstBaselines(
    gate ? { runId, snapshotIds, sources } : { runId, snapshotIds },
  );
  for (const c of state.status.cohorts)
    c.verdict = state.status.reports.find((r) => r.cohortId === c.cohortId)?.verdict;
  if (gate)
    await stages.audit({
      runId,
      actor: 'cohortflow',
      action: 'stage.baseline-test',
      details: { verdicts: Object.fromEntries(state.status.reports.map((r) => [r.cohortId, r.verdict])) },
    });

  if (!gate) {
    const decision = await legacyApprovalGate(state, input, state.status.reports);
    if (decision.kind !== 'approved') return finish(state, decision.kind, decision);
    return publish(runId, state, snapshots, decision, watch);
  }
  const {
    decision,
    publish: approved,
    heldBack,
    approvedBy,
  } = await gate.decide(snapshots, state.status.reports, sources);
  if (decision.kind !== 'approved') return finish(state, decision.kind, decision, [], [], heldBack);
  return publish(
    runId,
    state,
    snapshots.filter((s) => approved.includes(s.cohortId)),
    decision,
    watch,
    heldBack,
    approvedBy,
  );
}

async function publish(
  runId: string,
  state: RefreshState,
  snapshots: SnapshotRef[],
  decision: ApprovalDecision,
  watch: WatchWindow | undefined,
  heldBack: string[] = [],
  approvedBy?: Record<string, string>,
): Promise<RefreshOutcome> {
  state.enter('publish');
  const published = await stages.publishSnapshots({
    runId,
    snapshotIds: snapshots.map((s) => s.snapshotId),
    approvedBy: decision.by,
    ...(approvedBy ? { approvals: approvedBy } : {}),
  });
  const delivered = (
    await Promise.all(published.map((p) => deliveries.deliverCohort({ runId, cohortId: p.cohortId })))
  ).flat();
  if (!watch) return finish(state, 'published', decision, published, delivered, heldBack);

  // Published is the outcome from here on; the run stays open for its watch window.
  await stages.recordOutcome({ runId, outcome: 'published' });
  state.settle('published');
  const rolledBack = await watch.keepOpen(published, snapshots);
  state.finish('published');
  await condition(allHandlersFinished);
  return {
    runId,
    outcome: 'published',
    decision,
    published,
    deliveries: delivered,
    ...(heldBack.length ? { heldBack } : {}),
    ...(rolledBack.length ? { rolledBack } : {}),
  };
}

const countsOf = ({
  filesRead,
  filesSkipped,
  rowsRead,
  stored,
  duplicates,
  quarantined,
  lateAttributed,
}: IngestSummary) => ({ filesRead, filesSkipped, rowsRead, stored, duplicates, quarantined, lateAttributed });

function failedQuality(ingest: IngestSummary): { sources: string[]; reason: string } | undefined {
  // Runs whose ingest completed before per-source verdicts existed have none (replay-safe).
  const failed = (ingest.sources ?? []).filter((s) => s.verdict === 'fail');
  if (failed.length === 0) return undefined;
  const reason = failed
    .map(
      (s) =>
        `${s.source}: ${s.checks
          .filter((c) => c.verdict === 'fail')
          .map((c) => c.reason)
          .join('; ')}`,
    )
    .join(' | ');
  return { sources: failed.map((s) => s.source), reason };
}

/** Cohorts computed at once: enough to keep Postgres busy, few enough not to swamp it. */
const COMPUTE_PARALLELISM = 4;

async function computeCohorts(runId: string, input: RefreshInput, asOf: string): Promise<SnapshotRef[]> {
  const planned = await stages.planCompute({
    runId,
    asOf,
    tier: input.tier,
    author: input.requestedBy,
    rationale: input.rationale,
  });
  if (!patched('compute-over-measures')) {
    return Promise.all(
      planned.map((p) =>
        stages.computeCohort({ runId, cohortId: p.cohortId, definitionVersion: p.definitionVersion, asOf }),
      ),
    );
  }
  // Every measure of every cohort in one pass, then each cohort after those it refers to.
  await stages.materialiseRunMeasures({ runId, asOf });
  const snapshots = await inDependencyOrder(planned, COMPUTE_PARALLELISM, (p) =>
    stages.computeCohort({ runId, cohortId: p.cohortId, definitionVersion: p.definitionVersion, asOf }),
  );
  await stages.dropRunMeasures({ runId });
  return snapshots;
}

async function finish(
  state: RefreshState,
  outcome: RefreshOutcome['outcome'],
  decision?: ApprovalDecision,
  published: RefreshOutcome['published'] = [],
  delivered: RefreshOutcome['deliveries'] = [],
  heldBack: string[] = [],
): Promise<RefreshOutcome> {
  await stages.recordOutcome({ runId: state.status.runId, outcome });
  state.finish(outcome);
  // Let a decision handler that is still auditing finish before the run closes.
  await condition(allHandlersFinished);
  return {
    runId: state.status.runId,
    outcome,
    decision,
    published,
    deliveries: delivered,
    ...(heldBack.length ? { heldBack } : {}),
  };
}
