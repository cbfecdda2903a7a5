import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  isCancellation,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import { deliveries, proofChecks, stages } from './activities';
import { ApprovalGate, type GateOutcome } from './approval-gate';
import { judgeSlot, publishWindow } from './calendar-gates';
import { decideModels, proposeModels } from './model-gate';
import { inDependencyOrder } from './compute-order';
import {
  approveSignal,
  decide,
  rejectSignal,
  requestChangesSignal,
  rollback,
  rollbackSignal,
  status,
} from './messages';
import { refreshStartExpectation } from './proof-rules';
import { RefreshState } from './refresh-state';
import { runShadows } from './shadow-stage';
import { WatchWindow } from './watch-window';
import type { IngestSummary, RefreshInput, RefreshOutcome, SnapshotRef, SourceReport } from '../shared';

/** One refresh cycle: ingest → compute → baseline-test → approval gate → publish → watch window (rollback). */
export async function refreshCycle(input: RefreshInput): Promise<RefreshOutcome> {
  const state = new RefreshState(input);
  const gate = new ApprovalGate(state, input);
  const watch = new WatchWindow(state, input);

  // Everything people and systems may send a run, answered for its whole life: a decision or a
  // rollback sent at the wrong time is refused with the reason, never lost.
  setHandler(status, () => state.status);
  setHandler(decide, (d) => gate.take(d, 'update'), { validator: (d) => gate.validate(d) });
  setHandler(approveSignal, (d) => gate.takeSignal({ ...d, decision: 'approve' }));
  setHandler(rejectSignal, (d) => gate.takeSignal({ ...d, decision: 'reject' }));
  setHandler(requestChangesSignal, (d) => gate.takeSignal({ ...d, decision: 'request-changes' }));
  setHandler(rollback, (r) => watch.take(r), { validator: (r) => watch.validate(r) });
  setHandler(rollbackSignal, (r) => watch.takeSignal(r));

  let outcome: RefreshOutcome;
  try {
    outcome = await refresh(input, state, gate, watch);
  } catch (err) {
    // A stage that cannot go on (invalid definitions, exhausted retries) still closes the run
    // as failed, visibly, in the status, the search attributes and the runs table, with the
    // root cause's message rather than its wrappers' ("Activity task failed").
    if (isCancellation(err)) throw err;
    state.fail(rootCauseOf(err));
    await stages.recordOutcome({ runId: state.runId, outcome: 'failed' });
    state.finish('failed');
    throw runFailed(state, err);
  }
  // Every failed run ends the same way in Temporal (execution status Failed), whether a stage
  // threw or a check stopped it: one filter finds them all. Rejected, changes-requested and
  // expired runs are decisions the process took, and complete with their outcome.
  if (outcome.outcome === 'failed') throw runFailed(state);
  return outcome;
}

/** The innermost cause's message: what actually went wrong, e.g. the definition file and field. */
function rootCauseOf(err: unknown): string {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** The run's failure as Temporal records it: its reason as the message, never retried. */
const runFailed = (state: RefreshState, cause?: unknown) =>
  ApplicationFailure.create({
    message: state.status.failure ?? 'the run failed',
    type: 'RefreshFailed',
    nonRetryable: true,
    cause: cause instanceof Error ? cause : undefined,
  });

async function refresh(
  input: RefreshInput,
  state: RefreshState,
  gate: ApprovalGate,
  watch: WatchWindow,
): Promise<RefreshOutcome> {
  const { runId } = state;
  // Who asked and by which rules are proven before anything runs: a forged start stops here.
  const refused = await startRefusal(input, runId);
  if (refused) {
    state.unproven();
    state.fail(`start refused before ingest — ${refused}`);
    await stages.audit({
      runId,
      actor: 'unproven',
      action: 'run.refused',
      details: { claimedBy: input.requestedBy, reason: refused },
    });
    return finish(state, { outcome: 'failed' });
  }
  // A schedule's slot runs once, and only if it is still one of the cadence's business-day slots.
  const slot = await judgeSlot(state, input);
  if (slot.verdict !== 'run') {
    state.status.skipped = slot.reason;
    return finish(state, { outcome: 'skipped' });
  }
  const busy = await claimTier(state, input);
  if (busy) {
    state.fail(busy);
    await stages.audit({ runId, actor: 'cohortflow', action: 'run.tier_busy', details: { reason: busy } });
    return finish(state, { outcome: 'failed' });
  }
  const policy = await stages.approvalPolicy({ runId });
  await stages.registerRun({
    runId,
    cadence: input.cadence,
    tier: input.tier,
    requestedBy: input.requestedBy,
    rationale: input.rationale,
    ...(input.rerun ? { rerunOf: input.rerun } : {}),
  });
  const { ingest, asOf: reusedAsOf } = await ingestOrReuse(state, input);
  const qualityFailure = failedQuality(ingest.sources);
  if (qualityFailure) {
    // A data-quality failure never flows on unseen: stop before compute, say why.
    state.fail(`data quality failed before compute — ${qualityFailure.reason}`);
    await stages.audit({ runId, actor: 'cohortflow', action: 'ingest.quality_failed', details: qualityFailure });
    return finish(state, { outcome: 'failed' });
  }

  // "Now" means after this run's ingest, so the rows it just stored count (ingested_at <= asOf).
  const asOf = input.asOf ?? reusedAsOf ?? new Date().toISOString();
  state.status.asOf = asOf;
  // The quarterly refresh refits the models: new versions wait for this run's approval.
  if (input.cadence === 'quarterly') await proposeModels(state, input, asOf);
  const snapshots = await computeCohorts(state, input, asOf);
  await testAgainstBaselines(state, snapshots, ingest.sources);
  await runShadows(state, asOf);

  const approval = await gate.wait(policy, snapshots, state.status.reports, ingest.sources);
  const { decision, heldBack } = approval;
  await decideModels(state, approval);
  if (decision.kind !== 'approved') return finish(state, { outcome: decision.kind, decision, heldBack });
  // Nothing publishes inside a freeze window: wait it out, or skip, by the freeze's policy.
  if ((await publishWindow(state)) === 'skip') {
    state.status.skipped = `approved, but not published: ${state.status.freeze!.freezes.map((f) => `${f.name} (${f.reason})`).join('; ')}`;
    return finish(state, { outcome: 'skipped', decision, heldBack });
  }

  const { published, delivered } = await publish(
    state,
    snapshots.filter((s) => approval.publish.includes(s.cohortId)),
    approval,
  );
  // Published is the outcome from here on; the run stays open for its watch window.
  await stages.recordOutcome({ runId, outcome: 'published' });
  state.settle('published');
  const rolledBack = await watch.keepOpen(policy, published, snapshots);
  return finish(state, { outcome: 'published', decision, published, deliveries: delivered, heldBack, rolledBack });
}

/** Why the run may not start: a policy in its input (runs decide by the server's), or no valid proof of its requester. */
async function startRefusal(input: RefreshInput, runId: string): Promise<string | undefined> {
  if ('policy' in input)
    return 'forged policy: the start input carries an approval policy, but a run decides only by the policy the server is configured with';
  const check = await proofChecks.verifyStart({
    proof: input.requestProof,
    expected: refreshStartExpectation(input, runId),
  });
  return check.valid ? undefined : `unproven start: ${check.reason}`;
}

/** The first and longest wait between queue polls; a queued run waits for another run's approval, often hours. */
const QUEUE_POLL = { first: 30_000, longest: 10 * 60_000 };

/**
 * One active refresh per tier: claims the run's tiers, or, when another run holds one, waits
 * for it (a queued start) or says which run holds it.
 */
async function claimTier(state: RefreshState, input: RefreshInput): Promise<string | undefined> {
  const claim = () => stages.claimRefreshSlots({ runId: state.runId, scope: input.tier });
  let held = await claim();
  if (held.claimed) return undefined;
  if (!input.queue)
    return `another ${held.tier} refresh is active (${held.heldBy}); this run stops before ingest — start it with queue to wait for its turn`;
  state.enter('queued');
  state.status.queuedBehind = held.heldBy;
  for (let wait = QUEUE_POLL.first; !held.claimed; wait = Math.min(wait * 2, QUEUE_POLL.longest)) {
    await sleep(wait);
    held = await claim();
    if (!held.claimed) state.status.queuedBehind = held.heldBy;
  }
  state.status.queuedBehind = undefined;
  state.enter('ingest');
  return undefined;
}

/**
 * A run ingests; a re-run from compute or the baseline tests reuses the ingest of the run it
 * repeats (that ingest consumed the files), and from the baseline tests its asOf too, so it
 * computes the very cohorts the failed run computed (same content hashes) and tests them again.
 */
async function ingestOrReuse(
  state: RefreshState,
  input: RefreshInput,
): Promise<{ ingest: IngestSummary; asOf?: string }> {
  const rerun = input.rerun;
  if (rerun)
    await stages.audit({
      runId: rerun.runId,
      actor: input.requestedBy,
      action: 'run.rerun',
      details: { rerun: state.runId, from: rerun.from, rationale: input.rationale },
    });
  if (!rerun || rerun.from === 'ingest') return { ingest: await ingestSources(state) };
  const reused = await stages.reuseIngest({ runId: state.runId, of: rerun.runId });
  state.status.ingest = reused.ingest;
  await stages.audit({
    runId: state.runId,
    actor: 'cohortflow',
    action: 'stage.ingest_reused',
    details: { of: rerun.runId, ...countsOf(reused.ingest) },
  });
  return { ingest: reused.ingest, ...(rerun.from === 'baseline-test' && reused.asOf ? { asOf: reused.asOf } : {}) };
}

async function ingestSources(state: RefreshState): Promise<IngestSummary> {
  const ingest = await stages.ingestSources({ runId: state.runId });
  state.status.ingest = ingest;
  await stages.audit({ runId: state.runId, actor: 'cohortflow', action: 'stage.ingest', details: countsOf(ingest) });
  return ingest;
}

const countsOf = ({
  filesRead,
  filesSkipped,
  rowsRead,
  stored,
  duplicates,
  quarantined,
  erased,
  lateAttributed,
}: IngestSummary) => ({ filesRead, filesSkipped, rowsRead, stored, duplicates, quarantined, erased, lateAttributed });

function failedQuality(sources: SourceReport[]): { sources: string[]; reason: string } | undefined {
  const failed = sources.filter((s) => s.verdict === 'fail');
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

async function computeCohorts(state: RefreshState, input: RefreshInput, asOf: string): Promise<SnapshotRef[]> {
  const { runId } = state;
  state.enter('compute');
  state.step('plan');
  const planned = await stages.planCompute({
    runId,
    asOf,
    tier: input.tier,
    author: input.requestedBy,
    rationale: input.rationale,
  });
  // Scores first (the model versions the plan pinned, as of asOf): measures read them.
  state.step('scores');
  await stages.scoreRunCustomers({ runId, asOf });
  // Every measure of every cohort in one pass, then each cohort after those it refers to.
  state.step('measures');
  await stages.materialiseRunMeasures({ runId, asOf });
  state.step('cohorts', { done: 0, total: planned.length });
  const snapshots = await inDependencyOrder(planned, COMPUTE_PARALLELISM, async (p) => {
    const snapshot = await stages.computeCohort({
      runId,
      cohortId: p.cohortId,
      definitionVersion: p.definitionVersion,
      asOf,
    });
    state.cohortDone();
    return snapshot;
  });
  await stages.dropRunMeasures({ runId });
  state.status.cohorts = snapshots;
  const computed = snapshots.map(({ cohortId, snapshotId, definitionVersion, size }) => ({
    cohortId,
    snapshotId,
    definitionVersion,
    size,
  }));
  await stages.audit({ runId, actor: 'cohortflow', action: 'stage.compute', details: { asOf, cohorts: computed } });
  return snapshots;
}

async function testAgainstBaselines(
  state: RefreshState,
  snapshots: SnapshotRef[],
  sources: SourceReport[],
): Promise<void> {
  const { runId } = state;
  state.enter('baseline-test');
  const reports = await stages.testAgainstBaselines({
    runId,
    snapshotIds: snapshots.map((s) => s.snapshotId),
    sources,
  });
  state.status.reports = reports;
  for (const c of state.status.cohorts) c.verdict = reports.find((r) => r.cohortId === c.cohortId)?.verdict;
  const verdicts = Object.fromEntries(reports.map((r) => [r.cohortId, r.verdict]));
  await stages.audit({ runId, actor: 'cohortflow', action: 'stage.baseline-test', details: { verdicts } });
}

/** Moves the approved cohorts' current pointers in one step, then delivers each cohort's diff. */
async function publish(state: RefreshState, snapshots: SnapshotRef[], approval: GateOutcome) {
  const { runId } = state;
  state.enter('publish');
  const published = await stages.publishSnapshots({
    runId,
    snapshotIds: snapshots.map((s) => s.snapshotId),
    approvedBy: approval.decision.by,
    approvals: approval.approvedBy,
  });
  state.step('deliver', { done: 0, total: published.length });
  const delivered = (
    await Promise.all(
      published.map(async (p) => {
        const results = await deliveries.deliverCohort({ runId, cohortId: p.cohortId });
        state.cohortDone();
        return results;
      }),
    )
  ).flat();
  return { published, delivered };
}

async function finish(
  state: RefreshState,
  result: Pick<RefreshOutcome, 'outcome'> & Partial<Omit<RefreshOutcome, 'runId' | 'outcome'>>,
): Promise<RefreshOutcome> {
  const { outcome, decision, published = [], deliveries = [], heldBack = [], rolledBack = [] } = result;
  // A published run recorded its outcome when publishing ended; the others record it now.
  if (outcome !== 'published') await stages.recordOutcome({ runId: state.runId, outcome });
  state.finish(outcome);
  // Let a handler that is still auditing finish before the run closes.
  await condition(allHandlersFinished);
  return {
    runId: state.runId,
    outcome,
    decision,
    published,
    deliveries,
    ...(heldBack.length ? { heldBack } : {}),
    ...(rolledBack.length ? { rolledBack } : {}),
  };
}
