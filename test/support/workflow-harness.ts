import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { createActivities } from '../../src/activities';
import { checkProof } from '../../src/governance/decision-proof';
import { generateSigningKeyPem, keyringEntryOf, keyringFrom, signingKeyFrom } from '../../src/governance/proof-keys';
import { refreshCycle } from '../../src/workflows';
import { decide, rollback, status } from '../../src/workflows/messages';
import {
  rollbackCandidates,
  signedDecision,
  signedRefreshStart,
  signedRollback,
  waitingCohorts,
} from '../../src/temporal/signed-messages';
import type {
  ApprovalPolicy,
  DecisionInput,
  IngestSummary,
  RefreshInput,
  RefreshStatus,
  RollbackInput,
  TierScope,
  Verdict,
} from '../../src/shared';
import { timeSkippingEnv, workflowBundle } from './temporal';

const { EventType } = temporal.api.enums.v1;

// The refresh cycle on the time-skipping test server with fake activities: what workflow tests share.

export type Activities = ReturnType<typeof createActivities>;
type Calls = { [K in keyof Activities]: Array<Parameters<Activities[K]>[0]> };
export type RefreshHandle = WorkflowHandle<typeof refreshCycle>;

export const REQUESTER = 'rita';
export const APPROVER = 'alex';

/** The API's signing key in these tests, and the keyring the fake activities check proofs with. */
export const TEST_SIGNER = signingKeyFrom(generateSigningKeyPem());
export const TEST_KEYRING = keyringFrom(keyringEntryOf(TEST_SIGNER));
const DEFAULT_POLICY: ApprovalPolicy = { approvers: [APPROVER, REQUESTER], deadline: '72h' };

/** The fake ingest's summary: a run's own, or the one a re-run reuses. */
const ingestOf = (runId: string): IngestSummary => ({
  runId,
  filesRead: 1,
  filesSkipped: 0,
  rowsRead: 3,
  stored: 3,
  duplicates: 0,
  quarantined: 0,
  erased: 0,
  lateAttributed: 0,
  watermarks: {},
  sources: [],
});

/** Activities that only hand back small fixed references, recording every call. */
export function fakeActivities(
  opts: { verdict?: Verdict; overrides?: (plain: Activities) => Partial<Activities> } = {},
) {
  const cohortTier = (tier: TierScope) => (tier === 'tactical' ? 'tactical' : 'strategic');
  const tiers = new Map<string, 'tactical' | 'strategic'>();
  // The configured policy the worker hands every run; withRefresh sets it from the test's input.
  const configured = { policy: DEFAULT_POLICY };
  const plain: Activities = {
    registerRun: async () => undefined,
    scoreRunCustomers: async () => ({ customers: 0, models: {} }),
    proposeModels: async () => ({ proposals: [], refused: [] }),
    decideModels: async () => ({ promoted: [], rejected: [], leftProposed: [] }),
    claimRefreshSlots: async () => ({ claimed: true }),
    // Proofs are checked for real, as a worker does, against the key the test signs with.
    verifyProof: async ({ proof, expected }) => checkProof(TEST_KEYRING, proof, expected),
    verifyStart: async ({ proof, expected }) => checkProof(TEST_KEYRING, proof, expected),
    approvalPolicy: async () => configured.policy,
    ingestSources: async ({ runId }) => ingestOf(runId),
    reuseIngest: async ({ of }) => ({
      ingest: ingestOf(of),
      asOf: '2026-01-01T00:00:00.000Z',
    }),
    planCompute: async ({ tier }) => {
      tiers.set('lapsed-buyers', cohortTier(tier));
      return [{ cohortId: 'lapsed-buyers', definitionVersion: 1, dependsOn: [] }];
    },
    materialiseRunMeasures: async ({ runId }) => ({ table: `measures_${runId.length}`, rows: 100, measures: 3 }),
    computeCohort: async ({ cohortId, definitionVersion }) => ({
      cohortId,
      snapshotId: `snap-${cohortId}`,
      definitionVersion,
      tier: tiers.get(cohortId) ?? 'strategic',
      size: 42,
      contentHash: 'h-42',
    }),
    dropRunMeasures: async () => undefined,
    testAgainstBaselines: async ({ snapshotIds }) =>
      snapshotIds.map((snapshotId) => ({
        cohortId: snapshotId.replace(/^snap-/, ''),
        snapshotId,
        verdict: opts.verdict ?? 'pass',
        checks: [],
      })),
    planShadows: async () => [],
    runShadow: async () => {
      throw new Error('no shadows in the fake activities');
    },
    publishSnapshots: async ({ snapshotIds }) =>
      snapshotIds.map((snapshotId) => ({ cohortId: snapshotId.replace(/^snap-/, ''), snapshotId, version: 1 })),
    deliverCohort: async ({ cohortId }) => [
      { cohortId, destination: 'crm', adds: 42, removes: 0, delivered: true, alreadyDelivered: false },
    ],
    restorePrevious: async ({ cohorts }) =>
      cohorts.map((cohortId) => ({
        cohortId,
        version: 2,
        restoresVersion: null,
        snapshotId: null,
        alreadyRestored: false,
      })),
    restoreVersion: async ({ cohortId, toVersion }) => ({
      cohortId,
      version: 9,
      restoresVersion: toVersion,
      snapshotId: `snap-${cohortId}-v${toVersion}`,
      alreadyRestored: false,
    }),
    rollbackTarget: async () => ({ tier: 'strategic' as const, versions: [1, 2, 3], current: 3 }),
    recordOutcome: async () => undefined,
    audit: async () => undefined,
    notifyApprovers: async () => undefined,
    // No schedules file and no freezes: every slot runs, every publish goes ahead.
    judgeScheduledSlot: async () => ({ verdict: 'run' as const, reason: 'no schedules file' }),
    freezeAtPublish: async () => ({ kind: 'publish' as const }),
  };
  const impl: Activities = { ...plain, ...opts.overrides?.(plain) };
  const calls = Object.fromEntries(Object.keys(impl).map((name) => [name, []])) as unknown as Calls;
  const activities = Object.fromEntries(
    Object.entries(impl).map(([name, fn]) => [
      name,
      (input: unknown) => {
        (calls[name as keyof Activities] as unknown[]).push(input);
        return (fn as (i: unknown) => unknown)(input);
      },
    ]),
  ) as Activities;
  const audited = () => calls.audit.map((a) => a.action);
  return { activities, calls, audited, configured };
}
export type Fakes = ReturnType<typeof fakeActivities>;

/** A run's input before the API signs it, with the policy the worker is configured with. */
export type TestRefresh = Omit<RefreshInput, 'requestProof'> & { policy: ApprovalPolicy };

export function refreshInput(tier: TierScope, overrides: Partial<TestRefresh> = {}): TestRefresh {
  return {
    cadence: 'monthly',
    tier,
    requestedBy: REQUESTER,
    rationale: 'monthly refresh',
    asOf: '2025-01-31T00:00:00.000Z',
    policy: DEFAULT_POLICY,
    ...overrides,
  };
}

let env: TestWorkflowEnvironment;

/** Call in a test file's top level: one time-skipping server for the file. */
export function useTimeSkippingServer(): () => TestWorkflowEnvironment {
  beforeAll(async () => {
    env = await timeSkippingEnv();
    await workflowBundle();
  });
  afterAll(async () => {
    await env?.teardown();
  });
  return () => env;
}

/** Starts a refresh cycle on its own task queue and runs `scenario` while a worker serves it. */
export async function withRefresh<T>(
  { policy, ...input }: TestRefresh,
  fakes: Fakes,
  scenario: (run: RefreshHandle) => Promise<T>,
): Promise<T> {
  const taskQueue = `refresh-cycle-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: fakes.activities,
  });
  fakes.configured.policy = policy;
  return worker.runUntil(async () => {
    const workflowId = `refresh-test-${randomUUID()}`;
    const run = await env.client.workflow.start(refreshCycle, {
      taskQueue,
      workflowId,
      args: [signedRefreshStart(TEST_SIGNER, workflowId, input)],
    });
    return scenario(run);
  });
}

/** Polls the `status` query (time does not skip meanwhile) until `done` holds, for at most 10s. */
export async function statusWhen(
  run: RefreshHandle,
  done: (s: RefreshStatus) => boolean,
  what: string,
): Promise<RefreshStatus> {
  let last: RefreshStatus | undefined;
  for (let attempt = 0; attempt < 200; attempt++) {
    last = await run.query(status).catch(() => undefined); // no answer before the first workflow task
    if (last && done(last)) return last;
    await delay(50);
  }
  throw new Error(`run never reached ${what}; last status: ${JSON.stringify(last)}`);
}
/**
 * Waits until the run is blocked on a durable timer (the gate's next reminder or deadline) with
 * no activity in flight. The time-skipping server counts running activities as locks on its
 * clock, and a run terminated or awaited mid-activity can leave one held for the rest of the file
 * (sdk-java#1138): then every later timer waits in real time.
 */
export async function waitingOnTimer(run: RefreshHandle): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const activities = new Set<string>();
    const timers = new Set<string>();
    for (const e of (await run.fetchHistory()).events ?? []) {
      const id = String(e.eventId);
      if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) activities.add(id);
      const closed =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes ??
        e.activityTaskCanceledEventAttributes;
      if (closed) activities.delete(String(closed.scheduledEventId));
      if (e.eventType === EventType.EVENT_TYPE_TIMER_STARTED) timers.add(e.timerStartedEventAttributes!.timerId!);
      const ended = e.timerFiredEventAttributes ?? e.timerCanceledEventAttributes;
      if (ended) timers.delete(ended.timerId!);
    }
    if (activities.size === 0 && timers.size > 0) return;
    await delay(50);
  }
  throw new Error('the run never blocked on a timer with no activity in flight');
}

/** Ends a run the test is done with, once nothing is in flight (see waitingOnTimer). */
export async function terminateWhenIdle(run: RefreshHandle): Promise<void> {
  await waitingOnTimer(run);
  await run.terminate('test done');
}

export const awaitingApproval = (run: RefreshHandle) =>
  statusWhen(run, (s) => s.stage === 'awaiting-approval', 'awaiting-approval');

/** The decision with its proof, signed as the API signs it for the authenticated approver. */
export async function proven(run: RefreshHandle, d: Omit<DecisionInput, 'proof'>): Promise<DecisionInput> {
  const waiting = d.cohorts?.length ? [] : waitingCohorts(await run.query(status));
  return signedDecision(TEST_SIGNER, run.workflowId, waiting, d).message;
}

/** The rollback with its proof, signed as the API signs it for the authenticated requester. */
export async function provenRollback(run: RefreshHandle, r: Omit<RollbackInput, 'proof'>): Promise<RollbackInput> {
  const candidates = r.cohorts?.length ? [] : rollbackCandidates(await run.query(status));
  return signedRollback(TEST_SIGNER, run.workflowId, candidates, r).message;
}

/** The decide Update, as the API sends it. */
export const decideAs = async (run: RefreshHandle, d: Omit<DecisionInput, 'proof'>) =>
  run.executeUpdate(decide, { args: [await proven(run, d)] });

/** The rollback Update, as the API sends it. */
export const rollBackAs = async (run: RefreshHandle, r: Omit<RollbackInput, 'proof'>) =>
  run.executeUpdate(rollback, { args: [await provenRollback(run, r)] });

export async function refusedUpdate(
  run: RefreshHandle,
  approver: string,
  decision: Partial<DecisionInput> = {},
): Promise<string> {
  // An explicit `proof: undefined` sends the decision as a forger would: without one.
  const send =
    'proof' in decision && decision.proof === undefined
      ? run.executeUpdate(decide, { args: [{ approver, decision: 'approve', ...decision }] })
      : decideAs(run, { approver, decision: 'approve', ...decision });
  const err = await send.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return String((err as WorkflowUpdateFailedError).cause?.message);
}

/** A promise that a test resolves by hand, to hold an activity mid-flight. */
export function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}
