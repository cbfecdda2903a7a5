import { randomUUID } from 'node:crypto';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/log';
import { deploymentVersion, makeCurrent, pinnedTo } from '../../src/worker/deployment';
import { signedRefreshStart } from '../../src/temporal/signed-messages';
import { refreshCycle } from '../../src/workflows';
import { version as packageVersion } from '../../package.json';
import { devServerEnv, workflowBundle } from '../support/temporal';
import {
  APPROVER,
  fakeActivities,
  refreshInput,
  statusWhen,
  type Fakes,
  type RefreshHandle,
  decideAs,
  TEST_SIGNER,
} from '../support/workflow-harness';

// Worker versioning on the Temporal CLI's dev server (the time-skipping test server has no
// worker deployments): a refresh stays on the build it started on while a newer build polls.

const log = createLogger('silent');

describe('build id', () => {
  it('is the package version and a hash of the workflow code, whatever folder the code was bundled in', async () => {
    const { code } = await workflowBundle();
    const built = deploymentVersion(code);
    expect(built.deploymentName).toBe('cohortflow');
    expect(built.buildId).toMatch(new RegExp(`^${packageVersion.replace(/\./g, '\\.')}\\+[0-9a-f]{12}$`));
    // The inline source map names the folder; another checkout of the same code keeps the id.
    const elsewhere = code.replace(
      /\/\/# sourceMappingURL=.*$/,
      '//# sourceMappingURL=data:application/json;base64,e30=',
    );
    expect(elsewhere).not.toBe(code);
    expect(deploymentVersion(elsewhere)).toEqual(built);
    expect(deploymentVersion(code.replace('no decision within', 'nothing decided within')).buildId).not.toBe(
      built.buildId,
    );
  });
});

describe('worker versioning (dev server)', () => {
  let env: TestWorkflowEnvironment;
  const taskQueue = `versioning-test-${randomUUID()}`;
  const workers: Array<{ worker: Worker; running: Promise<void> }> = [];

  beforeAll(async () => {
    env = await devServerEnv();
  });

  afterAll(async () => {
    for (const w of workers) {
      if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
      await w.running;
    }
    await env?.teardown();
  });

  /** A worker of one build on the shared task queue, with its own fake activities. */
  async function startBuild(code: string): Promise<{ version: WorkerDeploymentVersion; fakes: Fakes }> {
    const version = deploymentVersion(code);
    const fakes = fakeActivities();
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { code },
      activities: fakes.activities,
      workerDeploymentOptions: pinnedTo(version),
    });
    workers.push({ worker, running: worker.run() });
    return { version, fakes };
  }

  const startRefresh = async (): Promise<RefreshHandle> => {
    const workflowId = `refresh-versioning-${randomUUID()}`;
    // Signed as the API signs it; the policy is each worker's (fakeActivities' default).
    const { policy: _policy, ...input } = refreshInput('strategic', { watchWindow: '0s' });
    const run = await env.client.workflow.start(refreshCycle, {
      taskQueue,
      workflowId,
      args: [signedRefreshStart(TEST_SIGNER, workflowId, input)],
    });
    await statusWhen(run, (s) => s.stage === 'awaiting-approval', 'the approval gate');
    return run;
  };

  const pinnedBuild = async (run: RefreshHandle) => {
    const info = (await run.describe()).raw.workflowExecutionInfo?.versioningInfo;
    return { behavior: info?.behavior, buildId: info?.deploymentVersion?.buildId };
  };

  it('keeps a refresh started on build A on build A while build B polls and takes new refreshes', async () => {
    const { code } = await workflowBundle();
    const a = await startBuild(code);
    expect(await makeCurrent(env.nativeConnection.workflowService, 'default', a.version, { log })).toEqual(a.version);
    const startedOnA = await startRefresh();

    // A later build's worker does not take over by itself (what `cohortflow worker` does) …
    // Marked at the top: the SDK reads the bundle's source map from its last line.
    const b = await startBuild(`/* build B */\n${code}`);
    expect(b.version.buildId).not.toBe(a.version.buildId);
    const unchanged = await makeCurrent(env.nativeConnection.workflowService, 'default', b.version, {
      log,
      unlessSet: true,
    });
    expect(unchanged.buildId).toBe(a.version.buildId);
    // … until it is promoted: then new refreshes start on B.
    await makeCurrent(env.nativeConnection.workflowService, 'default', b.version, { log });
    const startedOnB = await startRefresh();

    for (const run of [startedOnA, startedOnB]) await decideAs(run, { approver: APPROVER, decision: 'approve' });
    expect((await startedOnA.result()).outcome).toBe('published');
    expect((await startedOnB.result()).outcome).toBe('published');

    const pinned = temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED;
    expect(await pinnedBuild(startedOnA)).toEqual({ behavior: pinned, buildId: a.version.buildId });
    expect(await pinnedBuild(startedOnB)).toEqual({ behavior: pinned, buildId: b.version.buildId });
    // Every stage of each run, before and after B was promoted, ran on the build it started on.
    const runsOf = (fakes: Fakes) => ({
      ingested: fakes.calls.ingestSources.map((c) => c.runId),
      published: fakes.calls.publishSnapshots.map((c) => c.runId),
    });
    expect(runsOf(a.fakes)).toEqual({ ingested: [startedOnA.workflowId], published: [startedOnA.workflowId] });
    expect(runsOf(b.fakes)).toEqual({ ingested: [startedOnB.workflowId], published: [startedOnB.workflowId] });
  });
});
