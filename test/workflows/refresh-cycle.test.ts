import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { createActivities } from '../../src/activities';
import { refreshCycle } from '../../src/workflows';
import { approveSignal, decide, status } from '../../src/workflows/messages';
import type { RefreshInput, RefreshStatus, TierScope, Verdict } from '../../src/workflows/types';
import { timeSkippingEnv, workflowBundle } from '../support/temporal';

type Activities = ReturnType<typeof createActivities>;
type Calls = { [K in keyof Activities]: Array<Parameters<Activities[K]>[0]> };
type RefreshHandle = WorkflowHandle<typeof refreshCycle>;

const REQUESTER = 'rita';
const APPROVER = 'alex';

/** Activities that only hand back small fixed references, recording every call. */
function fakeActivities(opts: { verdict?: Verdict; overrides?: (plain: Activities) => Partial<Activities> } = {}) {
  const cohortTier = (tier: TierScope) => (tier === 'tactical' ? 'tactical' : 'strategic');
  const tiers = new Map<string, 'tactical' | 'strategic'>();
  const plain: Activities = {
    registerRun: async () => undefined,
    ingestSources: async ({ runId }) => ({ runId, filesRead: 1, filesSkipped: 0, rowsRead: 3, stored: 3, duplicates: 0, quarantined: 0, lateAttributed: 0, watermarks: {}, sources: [] }),
    planCompute: async ({ tier }) => {
      tiers.set('lapsed-buyers', cohortTier(tier));
      return [{ cohortId: 'lapsed-buyers', definitionVersion: 1, dependsOn: [] }];
    },
    materialiseRunMeasures: async ({ runId }) => ({ table: `measures_${runId.length}`, rows: 100, measures: 3 }),
    computeCohort: async ({ cohortId, definitionVersion }) =>
      ({ cohortId, snapshotId: `snap-${cohortId}`, definitionVersion, tier: tiers.get(cohortId) ?? 'strategic', size: 42, contentHash: 'h-42' }),
    dropRunMeasures: async () => undefined,
    testAgainstBaselines: async ({ snapshotIds }) =>
      snapshotIds.map((snapshotId) => ({ cohortId: snapshotId.replace(/^snap-/, ''), snapshotId, verdict: opts.verdict ?? 'pass', checks: [] })),
    publishSnapshots: async ({ snapshotIds }) => snapshotIds.map((snapshotId) => ({ cohortId: snapshotId.replace(/^snap-/, ''), snapshotId, version: 1 })),
    deliverCohort: async ({ cohortId }) => [{ cohortId, destination: 'crm', adds: 42, removes: 0, delivered: true, alreadyDelivered: false }],
    recordOutcome: async () => undefined,
    audit: async () => undefined,
  };
  const impl: Activities = { ...plain, ...opts.overrides?.(plain) };
  const calls = Object.fromEntries(Object.keys(impl).map((name) => [name, []])) as unknown as Calls;
  const activities = Object.fromEntries(
    Object.entries(impl).map(([name, fn]) => [name, (input: unknown) => {
      (calls[name as keyof Activities] as unknown[]).push(input);
      return (fn as (i: unknown) => unknown)(input);
    }]),
  ) as Activities;
  const audited = () => calls.audit.map((a) => a.action);
  return { activities, calls, audited };
}
type Fakes = ReturnType<typeof fakeActivities>;

function refreshInput(tier: TierScope, overrides: Partial<RefreshInput> = {}): RefreshInput {
  return {
    cadence: 'monthly',
    tier,
    requestedBy: REQUESTER,
    rationale: 'monthly refresh',
    asOf: '2025-01-31T00:00:00.000Z',
    policy: { approvers: [APPROVER, REQUESTER], deadline: '72h' },
    ...overrides,
  };
}

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await timeSkippingEnv();
  await workflowBundle();
});

afterAll(async () => {
  await env?.teardown();
});

/** Starts a refresh cycle on its own task queue and runs `scenario` while a worker serves it. */
async function withRefresh<T>(input: RefreshInput, fakes: Fakes, scenario: (run: RefreshHandle) => Promise<T>): Promise<T> {
  const taskQueue = `refresh-cycle-test-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: fakes.activities });
  return worker.runUntil(async () => {
    const run = await env.client.workflow.start(refreshCycle, { taskQueue, workflowId: `refresh-test-${randomUUID()}`, args: [input] });
    return scenario(run);
  });
}

/** Polls the `status` query (time does not skip meanwhile) until `done` holds, for at most 10s. */
async function statusWhen(run: RefreshHandle, done: (s: RefreshStatus) => boolean, what: string): Promise<RefreshStatus> {
  let last: RefreshStatus | undefined;
  for (let attempt = 0; attempt < 200; attempt++) {
    last = await run.query(status).catch(() => undefined); // no answer before the first workflow task
    if (last && done(last)) return last;
    await delay(50);
  }
  throw new Error(`run never reached ${what}; last status: ${JSON.stringify(last)}`);
}
const awaitingApproval = (run: RefreshHandle) => statusWhen(run, (s) => s.stage === 'awaiting-approval', 'awaiting-approval');

async function refusedUpdate(run: RefreshHandle, approver: string): Promise<string> {
  const err = await run.executeUpdate(decide, { args: [{ approver, decision: 'approve' }] }).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return String((err as WorkflowUpdateFailedError).cause?.message);
}

/** A promise that a test resolves by hand, to hold an activity mid-flight. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('refresh cycle', () => {
  it('waits for approval of a strategic cohort and publishes once another approver approves', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.pendingApproval).toMatchObject({ approvers: [APPROVER], reason: 'strategic cohorts always need approval' });
      const decision = await run.executeUpdate(decide, { args: [{ approver: APPROVER, decision: 'approve', comment: 'looks right' }] });
      expect(decision).toMatchObject({ kind: 'approved', by: APPROVER, via: 'update' });
      return run.result();
    });
    expect(outcome).toMatchObject({ outcome: 'published', decision: { kind: 'approved', by: APPROVER, comment: 'looks right' } });
    expect(outcome.published).toEqual([{ cohortId: 'lapsed-buyers', snapshotId: 'snap-lapsed-buyers', version: 1 }]);
    expect(fakes.calls.publishSnapshots).toEqual([expect.objectContaining({ approvedBy: APPROVER })]);
    expect(fakes.calls.deliverCohort).toHaveLength(1);
    expect(fakes.audited()).toContain('decision.approved');
    expect(fakes.calls.recordOutcome).toEqual([expect.objectContaining({ outcome: 'published' })]);
  });

  it('publishes nothing when an approver rejects the run', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await awaitingApproval(run);
      await run.executeUpdate(decide, { args: [{ approver: APPROVER, decision: 'reject', comment: 'sizes look off' }] });
      return run.result();
    });
    expect(outcome).toMatchObject({ outcome: 'rejected', decision: { kind: 'rejected', by: APPROVER }, published: [], deliveries: [] });
    expect(fakes.calls.publishSnapshots).toHaveLength(0);
    expect(fakes.calls.deliverCohort).toHaveLength(0);
    expect(fakes.audited()).toContain('decision.rejected');
  });

  it('refuses self-approval by the requester (four eyes) and keeps waiting', async () => {
    await withRefresh(refreshInput('strategic'), fakeActivities(), async (run) => {
      await awaitingApproval(run);
      expect(await refusedUpdate(run, REQUESTER)).toMatch(/four eyes/);
      const after = await run.query(status);
      expect(after.stage).toBe('awaiting-approval');
      expect(after.decision).toBeUndefined();
      await run.terminate('test done');
    });
  });

  it('refuses approval by someone who is not among the policy approvers', async () => {
    await withRefresh(refreshInput('strategic'), fakeActivities(), async (run) => {
      await awaitingApproval(run);
      expect(await refusedUpdate(run, 'mallory')).toMatch(/mallory is not an approver/);
      expect((await run.query(status)).stage).toBe('awaiting-approval');
      await run.terminate('test done');
    });
  });

  it('expires the run after the deadline and publishes nothing', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('strategic', { policy: { approvers: [APPROVER], deadline: '72h' } }), fakes, async (run) => {
      await awaitingApproval(run);
      return run.result(); // the test server skips the 72 hours while the run is blocked
    });
    expect(outcome).toMatchObject({ outcome: 'expired', decision: { kind: 'expired', via: 'deadline' }, published: [] });
    expect(fakes.calls.publishSnapshots).toHaveLength(0);
    expect(fakes.calls.deliverCohort).toHaveLength(0);
    expect(fakes.audited()).toContain('decision.expired');
  });

  it('retries a transient activity failure and completes the run', async () => {
    let attempts = 0;
    const fakes = fakeActivities({
      overrides: (plain) => ({
        computeCohort: async (input) => {
          if (++attempts === 1) throw new Error('connection reset by Postgres');
          return plain.computeCohort(input);
        },
      }),
    });
    const outcome = await withRefresh(refreshInput('tactical'), fakes, (run) => run.result());
    expect(fakes.calls.computeCohort).toHaveLength(2);
    expect(outcome.outcome).toBe('published');
  });

  it('ignores and records an invalid approve signal, then publishes on a valid one', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await awaitingApproval(run);
      await run.signal(approveSignal, { approver: REQUESTER });
      const after = await statusWhen(run, (s) => s.ignored.length > 0, 'an ignored signal');
      expect(after.ignored).toEqual([expect.objectContaining({ name: 'approve', from: REQUESTER, reason: expect.stringMatching(/four eyes/) })]);
      expect(after.stage).toBe('awaiting-approval');
      expect(after.decision).toBeUndefined();
      await statusWhen(run, () => fakes.audited().includes('decision.ignored'), 'audit of the ignored signal');
      await run.signal(approveSignal, { approver: APPROVER });
      return run.result();
    });
    expect(outcome).toMatchObject({ outcome: 'published', decision: { kind: 'approved', by: APPROVER, via: 'signal' } });
    expect(fakes.calls.publishSnapshots).toHaveLength(1);
  });

  it('auto-approves tactical cohorts whose checks all pass, by policy', async () => {
    const fakes = fakeActivities({ verdict: 'pass' });
    const outcome = await withRefresh(refreshInput('tactical'), fakes, (run) => run.result());
    expect(outcome).toMatchObject({ outcome: 'published', decision: { kind: 'approved', by: 'policy', via: 'policy' } });
    expect(fakes.calls.publishSnapshots).toHaveLength(1);
    expect(fakes.audited()).not.toContain('approval.requested');
  });

  it('waits for approval of a tactical cohort whose checks warn', async () => {
    await withRefresh(refreshInput('tactical'), fakeActivities({ verdict: 'warn' }), async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.pendingApproval?.reason).toBe('baseline checks flagged: lapsed-buyers (warn)');
      await run.terminate('test done');
    });
  });

  it('refuses a decision sent before the approval gate opens', async () => {
    const computing = gate();
    const fakes = fakeActivities({ overrides: (plain) => ({ computeCohort: async (input) => (await computing.opened, plain.computeCohort(input)) }) });
    await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await statusWhen(run, (s) => s.stage === 'compute', 'compute');
      expect(await refusedUpdate(run, APPROVER)).toMatch(/is not awaiting approval \(stage: compute\)/);
      computing.open();
      await awaitingApproval(run);
      await run.terminate('test done');
    });
  });

  it('refuses a second decision once the run has been decided', async () => {
    const publishing = gate();
    const fakes = fakeActivities({ overrides: (plain) => ({ publishSnapshots: async (input) => (await publishing.opened, plain.publishSnapshots(input)) }) });
    const outcome = await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await awaitingApproval(run);
      await run.executeUpdate(decide, { args: [{ approver: APPROVER, decision: 'approve' }] });
      await statusWhen(run, (s) => s.stage === 'publish', 'publish');
      expect(await refusedUpdate(run, APPROVER)).toMatch(/is not awaiting approval \(stage: publish\)/);
      publishing.open();
      return run.result();
    });
    expect(outcome.decision).toMatchObject({ kind: 'approved', by: APPROVER });
    expect(fakes.audited().filter((a) => a.startsWith('decision.'))).toEqual(['decision.approved']);
  });

  it('materialises measures once, computes referenced cohorts first, at most four at a time, then drops the measures', async () => {
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const planned = [
      { cohortId: 'at-risk', definitionVersion: 1, dependsOn: ['paying'] },
      { cohortId: 'paying', definitionVersion: 1, dependsOn: [] },
      { cohortId: 'winback', definitionVersion: 1, dependsOn: ['at-risk', 'paying'] },
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ cohortId: id, definitionVersion: 1, dependsOn: [] })),
    ];
    const fakes = fakeActivities({
      overrides: (plain) => ({
        planCompute: async () => planned,
        materialiseRunMeasures: async (input) => {
          log.push('measures');
          return plain.materialiseRunMeasures(input);
        },
        computeCohort: async (input) => {
          running += 1;
          most = Math.max(most, running);
          log.push(`start ${input.cohortId}`);
          await Promise.resolve();
          log.push(`end ${input.cohortId}`);
          running -= 1;
          return plain.computeCohort(input);
        },
        dropRunMeasures: async () => {
          log.push('drop');
        },
      }),
    });
    await withRefresh(refreshInput('all'), fakes, async (run) => {
      await awaitingApproval(run);
      await run.terminate('test done');
    });
    const at = (entry: string) => log.indexOf(entry);
    expect(log[0]).toBe('measures');
    expect(log.at(-1)).toBe('drop');
    expect(at('end paying')).toBeLessThan(at('start at-risk'));
    expect(at('end at-risk')).toBeLessThan(at('start winback'));
    expect(fakes.calls.computeCohort.map((c) => c.cohortId).sort()).toEqual(planned.map((p) => p.cohortId).sort());
    expect(most).toBeLessThanOrEqual(4);
  });

  it('fails at once, without retries, when planning reports invalid input', async () => {
    const fakes = fakeActivities({
      overrides: () => ({ planCompute: async () => { throw ApplicationFailure.nonRetryable('cohorts/lapsed.yaml: min_size must be a number, got "ten"', 'InvalidInput'); } }),
    });
    const err = await withRefresh(refreshInput('tactical'), fakes, (run) => run.result().then(() => undefined, (e: unknown) => e));
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(ActivityFailure);
    expect((err as WorkflowFailedError).cause?.cause).toMatchObject({ type: 'InvalidInput', nonRetryable: true, message: 'cohorts/lapsed.yaml: min_size must be a number, got "ten"' });
    expect(fakes.calls.planCompute).toHaveLength(1);
    expect(fakes.calls.computeCohort).toHaveLength(0);
    expect(fakes.calls.recordOutcome).toEqual([expect.objectContaining({ outcome: 'failed' })]);
  });

  it('stops before compute when a source fails its data-quality checks, saying why', async () => {
    const failing = { source: 'billing', kind: 'billing', filesRead: 1, filesSkipped: 0, rowsRead: 100, stored: 80, duplicates: 0, quarantined: 20, verdict: 'fail' as const,
      checks: [{ name: 'quarantine_rate' as const, verdict: 'fail' as const, reason: '20 of 100 rows quarantined (20%)', figures: {}, thresholds: {} }] };
    const fakes = fakeActivities({ overrides: (plain) => ({ ingestSources: async (input) => ({ ...(await plain.ingestSources(input)), sources: [failing] }) }) });
    const { outcome, final } = await withRefresh(refreshInput('tactical'), fakes, async (run) => ({ outcome: await run.result(), final: await run.query(status) }));
    expect(outcome.outcome).toBe('failed');
    expect(final.failure).toMatch(/billing: 20 of 100 rows quarantined/);
    expect(fakes.calls.planCompute).toHaveLength(0);
    expect(fakes.audited()).toContain('ingest.quality_failed');
  });

  it('asks a human when a source only warns, even for passing tactical cohorts', async () => {
    const warning = { source: 'product', kind: 'product', filesRead: 1, filesSkipped: 0, rowsRead: 100, stored: 100, duplicates: 0, quarantined: 0, verdict: 'warn' as const, checks: [] };
    const fakes = fakeActivities({ overrides: (plain) => ({ ingestSources: async (input) => ({ ...(await plain.ingestSources(input)), sources: [warning] }) }) });
    await withRefresh(refreshInput('tactical'), fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.pendingApproval?.reason).toBe('data quality warnings: product (warn)');
      await run.terminate('test done');
    });
  });
});
