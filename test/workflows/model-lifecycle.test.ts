import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createActivities, type ActivityDeps } from '../../src/activities';
import { decideModels, proposeModels, scoreRunCustomers } from '../../src/activities/models';
import type { PurchasingModels } from '../../src/scores/purchasing/score-customers';
import { createLogger } from '../../src/log';
import { fitModelVersion } from '../../src/scores/governance/fit-model';
import { listModelVersions } from '../../src/scores/governance/model-versions';
import { rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { addPurchasers, addRandomChurners, independentPurchasingScores } from '../support/purchasers';
import {
  APPROVER,
  awaitingApproval,
  decideAs,
  fakeActivities,
  refreshInput,
  useTimeSkippingServer,
  withRefresh,
} from '../support/workflow-harness';

// The model lifecycle in the refresh cycle: the quarterly run fits new versions, its approval
// gate shows them with their metrics and drift, and only people approving make one current;
// a version below its promotion rule never becomes current. Real Postgres, time-skipping Temporal.

useTimeSkippingServer();

const AS_OF = '2026-06-01T00:00:00.000Z';
let test: TestDatabase;
let catalogDir: string;

beforeAll(async () => {
  test = await freshDatabase('model_lifecycle');
  // Buyers for the purchasing fit (on trial, so outside the churn model's payers), and payers
  // whose cancellations no measure predicts.
  await addPurchasers(test.db, { customers: 300, until: new Date(AS_OF), seed: 5, lifecycleStage: 'trial' });
  await addRandomChurners(test.db, { customers: 400, until: new Date(AS_OF), days: 200, seed: 9 });
  await rebuildDerivedState(test.db);
  catalogDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-model-lifecycle-'));
  await fs.writeFile(
    path.join(catalogDir, 'likely-alive.yaml'),
    `id: likely-alive
name: Likely alive
purpose: Buyers the purchasing model expects to buy again.
owner: qa
tier: tactical
sources: [billing]
limitations: none known
rule:
  measure: { name: p_alive, gte: 0.6 }
`,
  );
}, 120_000);

afterAll(async () => {
  await test?.drop();
  if (catalogDir) await fs.rm(catalogDir, { recursive: true, force: true });
});

/** A monthly run whose plan, scores, measures and snapshots are real; its tests pass and publishing is faked. */
function monthlyRun() {
  const real = createActivities({
    db: test.db,
    log: createLogger('warn'),
    catalogDir,
    sourceDir: catalogDir,
    destinations: [],
  });
  return fakeActivities({
    overrides: () => ({
      registerRun: real.registerRun,
      planCompute: real.planCompute,
      scoreRunCustomers: real.scoreRunCustomers,
      materialiseRunMeasures: real.materialiseRunMeasures,
      computeCohort: real.computeCohort,
      dropRunMeasures: real.dropRunMeasures,
      proposeModels: real.proposeModels,
      testAgainstBaselines: async ({ snapshotIds }) =>
        snapshotIds.map((snapshotId) => ({
          cohortId: 'likely-alive',
          snapshotId,
          verdict: 'pass' as const,
          checks: [],
        })),
    }),
  });
}

/** The run's cohorts are fakes; the model activities are the real ones, over the test database. */
function quarterlyRun() {
  const deps = { db: test.db, log: createLogger('warn') } as ActivityDeps;
  return fakeActivities({
    overrides: () => ({
      proposeModels: (input) => proposeModels(deps, input),
      decideModels: (input) => decideModels(deps, input),
      scoreRunCustomers: (input) => scoreRunCustomers(deps, input),
    }),
  });
}

const statusOf = async (kind: string) =>
  (await listModelVersions(test.db)).filter((v) => v.kind === kind).map((v) => [v.modelId, v.status]);

describe('model versions through the quarterly refresh', () => {
  it('proposes new versions that wait for approval, and makes only the promotable one current once approved', async () => {
    const fakes = quarterlyRun();
    const input = refreshInput('strategic', { cadence: 'quarterly', rationale: 'quarterly refit', asOf: AS_OF });
    await withRefresh(input, fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.models?.proposals).toEqual([
        expect.objectContaining({
          modelId: 'churn-v1',
          promotable: false,
          reason: 'validation AUC 0.500 is below 0.7',
        }),
        expect.objectContaining({ modelId: 'purchasing-v1', promotable: true }),
        expect.objectContaining({
          modelId: 'upgrade-v1',
          promotable: false,
          reason: expect.stringMatching(/positive validation rows/),
        }),
      ]);
      // Waiting at the gate: nothing is current yet.
      expect(await statusOf('purchasing')).toEqual([['purchasing-v1', 'proposed']]);
      await decideAs(run, { approver: APPROVER, decision: 'approve', comment: 'fits look right' });
      return run.result();
    });
    expect(await statusOf('purchasing')).toEqual([['purchasing-v1', 'current']]);
    // Approved with the run, yet below its minimum AUC: never current.
    expect(await statusOf('churn')).toEqual([['churn-v1', 'rejected']]);
    expect(await statusOf('upgrade')).toEqual([['upgrade-v1', 'rejected']]);
    const v1 = (await listModelVersions(test.db, 'purchasing'))[0]!;
    expect(v1).toMatchObject({ author: 'rita', rationale: 'quarterly refit', decidedBy: APPROVER, asOf: AS_OF });
    expect(fakes.calls.decideModels).toEqual([expect.objectContaining({ decision: 'approved', by: APPROVER })]);
  });

  it('shows the drift against the current version and keeps the current one when the run is rejected', async () => {
    const fakes = quarterlyRun();
    const input = refreshInput('strategic', { cadence: 'quarterly', rationale: 'second refit', asOf: AS_OF });
    await withRefresh(input, fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      const purchasing = waiting.models!.proposals.find((p) => p.kind === 'purchasing')!;
      expect(purchasing.modelId).toBe('purchasing-v2');
      // The same data as the current version's fit: its scores barely move.
      expect(purchasing.psi).toBeGreaterThanOrEqual(0);
      expect(purchasing.psi).toBeLessThan(0.01);
      await decideAs(run, { approver: APPROVER, decision: 'reject', comment: 'not this quarter' });
      return run.result();
    });
    expect(await statusOf('purchasing')).toEqual([
      ['purchasing-v2', 'rejected'],
      ['purchasing-v1', 'current'],
    ]);
  });

  it('fits nothing in a monthly run, which computes a p_alive cohort with the current version, as an independent scoring does', async () => {
    const fakes = monthlyRun();
    const outcome = await withRefresh(refreshInput('tactical', { asOf: AS_OF }), fakes, (run) => run.result());
    expect(outcome.outcome).toBe('published');
    expect(fakes.calls.proposeModels).toEqual([]);
    const [snapshotId] = fakes.calls.testAgainstBaselines[0]!.snapshotIds;
    const members = await test.db.query<{ customer_id: string }>(
      'SELECT customer_id FROM snapshot_members WHERE snapshot_id = $1 ORDER BY customer_id',
      [snapshotId],
    );
    const current = (await listModelVersions(test.db, 'purchasing')).find((v) => v.status === 'current')!;
    const independent = await independentPurchasingScores(test.db, current.parameters as PurchasingModels, AS_OF);
    const alive = independent.filter((c) => c.pAlive >= 0.6).map((c) => c.customerId);
    expect(alive.length).toBeGreaterThan(0);
    expect(members.rows.map((r) => r.customer_id)).toEqual(alive);
    const lineage = await test.db.query('SELECT model_versions FROM cohort_snapshots WHERE snapshot_id = $1', [
      snapshotId,
    ]);
    expect(lineage.rows[0]).toEqual({ model_versions: { purchasing: 'purchasing-v1' } });
    expect(await statusOf('purchasing')).toEqual([
      ['purchasing-v2', 'rejected'],
      ['purchasing-v1', 'current'],
    ]);
  });

  it("never makes a version current on its own author's approval: it waits for another gate", async () => {
    // An approver fitted a version on demand; the quarterly run carries it with its own fits.
    const own = await fitModelVersion(test.db, {
      kind: 'purchasing',
      asOf: new Date(AS_OF),
      author: APPROVER,
      rationale: 'my own refit, on demand',
    });
    const fakes = quarterlyRun();
    const input = refreshInput('strategic', { cadence: 'quarterly', rationale: 'third refit', asOf: AS_OF });
    await withRefresh(input, fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.models!.proposals.map((p) => p.modelId)).toContain(own.modelId);
      await decideAs(run, { approver: APPROVER, decision: 'approve', comment: 'fits look right' });
      return run.result();
    });
    const versions = await listModelVersions(test.db, 'purchasing');
    expect(versions.find((v) => v.modelId === own.modelId)).toMatchObject({ status: 'proposed', runId: null });
    expect(versions.filter((v) => v.status === 'current').map((v) => v.author)).toEqual(['rita']);
  });
});
