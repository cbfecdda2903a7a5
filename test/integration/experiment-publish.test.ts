import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { deliverCohort } from '../../src/activities/publish';
import { deliveryStatus } from '../../src/delivery/delivery-status';
import type { ActivityDeps } from '../../src/activities/deps';
import type { Destination } from '../../src/destinations/destination';
import { planAssignments, initialAllocation } from '../../src/experiments/assignment';
import { parseExperiment } from '../../src/experiments/experiment';
import { experimentReport } from '../../src/experiments/experiment-report';
import { createExperiment } from '../../src/experiments/experiment-store';
import { createLogger } from '../../src/log';
import { publishSnapshots } from '../../src/publishing/publish';
import { restorePrevious } from '../../src/publishing/restore';
import { addCustomer } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { customerIds, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// Experiments at publish: members get their arm in the publish transaction, holdout members never
// reach an activation destination, an analysis destination and the SQL table get every member
// with its arm, consent first.

const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
let test: TestDatabase;
let runs = 0;

const TWO_ARMS = `  - { id: holdout, share: 0.3, holdout: true }
  - { id: reminder, share: 0.7 }`;

const experimentYaml = (id: string, cohort: string, extra = '', arms = TWO_ARMS) => `
id: ${id}
cohort: ${cohort}
hypothesis: A reminder makes at-risk customers come back within a week more often.
owner: lifecycle
salt: salt-${id}-0001
arms:
${arms}
kpi: { kind: conversion, event: purchase, withinDays: 7 }
${extra}`;

const webhook = (name: string, url: string, extra: Partial<Destination> = {}): Destination =>
  ({
    kind: 'webhook',
    name,
    purpose: 'product',
    fields: ['customer_id'],
    allowRawEmail: false,
    url,
    secretsEnv: ['S'],
    secrets: [SECRET],
    maxBatchBytes: 256 * 1024,
    timeoutMs: 2_000,
    allowPrivateNetwork: true,
    ...extra,
  }) as Destination;

const deliver = (destinations: Destination[], runId: string, cohortId: string) => {
  const deps: ActivityDeps = { db: test.db, log: createLogger('silent'), sourceDir: '', catalogDir: '', destinations };
  return new MockActivityEnvironment().run(deliverCohort, deps, { runId, cohortId });
};

/** A refresh's snapshot of the cohort published through the real publish step. */
async function publishMembers(cohortId: string, members: string[]) {
  const runId = `run-${++runs}`;
  await registerRun(test.db, runId, '2026-11-01T06:00:00Z');
  const snapshotId = await storeSnapshot(test.db, {
    runId,
    cohortId,
    version: 1,
    asOf: '2026-11-01T06:00:00Z',
    customerIds: members,
  });
  const published = await publishSnapshots(test.db, { runId, snapshotIds: [snapshotId], approvedBy: 'alex' });
  return { runId, snapshotId, published: published[0]! };
}

async function arms(experimentId: string) {
  const { rows } = await test.db.query<{ customer_id: string; arm: string; snapshot_id: string; run_id: string }>(
    'SELECT customer_id, arm, snapshot_id, run_id FROM experiment_assignments WHERE experiment_id = $1',
    [experimentId],
  );
  return new Map(rows.map((r) => [r.customer_id, r]));
}

async function startExperiment(id: string, cohort: string, extra = '', armsYaml = TWO_ARMS) {
  await recordVersion(test.db, cohort, 1, { tier: 'tactical' }, { author: 'dana' });
  const definition = parseExperiment(experimentYaml(id, cohort, extra, armsYaml), `${id}.yaml`);
  await createExperiment(test.db, { definition, createdBy: 'olga', rationale: 'does the reminder work' });
  return definition;
}

beforeAll(async () => {
  test = await freshDatabase('experiment_publish');
  for (const id of customerIds('x', 1, 80)) await addCustomer(test.db, id, { consent_marketing: id !== 'x001' });
});
afterAll(() => test.drop());

describe('assignment at publish', () => {
  it('assigns every member of a published snapshot by the hash, records snapshot and run, and keeps arms on the next refresh', async () => {
    const e = await startExperiment('keep-arms', 'keep-arms-cohort');
    const first = await publishMembers('keep-arms-cohort', customerIds('x', 1, 40));
    expect(first.published.experiment).toEqual({ experimentId: 'keep-arms', assigned: 40, allocationVersion: 1 });
    const stored = await arms('keep-arms');
    const plan = planAssignments({
      salt: e.salt,
      allocation: initialAllocation(e),
      members: customerIds('x', 1, 40),
      existing: new Map(),
    });
    expect(plan.assigned.filter((a) => stored.get(a.customerId)?.arm !== a.arm)).toEqual([]);
    expect(new Set([...stored.values()].map((a) => `${a.snapshot_id}/${a.run_id}`))).toEqual(
      new Set([`${first.snapshotId}/${first.runId}`]),
    );

    const second = await publishMembers('keep-arms-cohort', customerIds('x', 21, 60));
    expect(second.published.experiment?.assigned).toBe(20);
    const after = await arms('keep-arms');
    expect(after.size).toBe(60);
    expect(customerIds('x', 1, 40).filter((id) => after.get(id)!.arm !== stored.get(id)!.arm)).toEqual([]);
    expect(after.get('x050')!.run_id).toBe(second.runId);
  });

  it('a retried publish returns what it published and assigns nobody twice', async () => {
    await startExperiment('retry-publish', 'retry-cohort');
    const { runId, snapshotId } = await publishMembers('retry-cohort', customerIds('x', 1, 10));
    const again = await publishSnapshots(test.db, { runId, snapshotIds: [snapshotId], approvedBy: 'alex' });
    expect(again[0]!.version).toBe(1);
    expect((await arms('retry-publish')).size).toBe(10);
  });
});

describe('delivery with a holdout', () => {
  it('never sends holdout members to an activation webhook; an analysis webhook and the SQL table get every member with its arm; consent first', async () => {
    await startExperiment('deliver-arms', 'deliver-cohort');
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-experiment-files-'));
    const activation = await startDeliveryReceiver(SECRET);
    const analysis = await startDeliveryReceiver(SECRET);
    const destinations: Destination[] = [
      webhook('campaign', activation.url, { purpose: 'marketing' }),
      webhook('warehouse', analysis.url, { use: 'analysis' }),
      { kind: 'sql', name: 'table', purpose: 'product', fields: ['customer_id'], allowRawEmail: false },
      {
        kind: 'file',
        name: 'study',
        purpose: 'product',
        fields: ['customer_id'],
        allowRawEmail: false,
        folder: path.join(folder, 'study'),
        formats: ['csv'],
        use: 'analysis',
      },
      {
        kind: 'file',
        name: 'mailing',
        purpose: 'product',
        fields: ['customer_id'],
        allowRawEmail: false,
        folder: path.join(folder, 'mailing'),
        formats: ['csv'],
      },
    ];
    const members = customerIds('x', 1, 40);
    const { runId } = await publishMembers('deliver-cohort', members);
    await deliver(destinations, runId, 'deliver-cohort');
    const assigned = await arms('deliver-arms');
    const holdout = members.filter((id) => assigned.get(id)!.arm === 'holdout');
    expect(holdout.length).toBeGreaterThan(3);

    // x001 has no marketing consent: held back from the campaign whatever its arm.
    expect(activation.adds().sort()).toEqual(members.filter((id) => !holdout.includes(id) && id !== 'x001'));
    const analysed = [...analysis.accepted.values()].flatMap((b) => b.adds);
    expect(analysed.map((r) => [r.customer_id, r.arm]).sort()).toEqual(
      members.map((id) => [id, assigned.get(id)!.arm]).sort(),
    );
    const table = await test.db.query<{ customer_id: string; arm: string }>(
      "SELECT customer_id, arm FROM published_cohort_members WHERE cohort_id = 'deliver-cohort' ORDER BY customer_id",
    );
    expect(table.rows.map((r) => [r.customer_id, r.arm])).toEqual(members.map((id) => [id, assigned.get(id)!.arm]));
    const counts = await test.db.query<{ destination: string; suppressed: number; held_out: number }>(
      "SELECT destination, suppressed, held_out FROM destination_deliveries WHERE cohort_id = 'deliver-cohort' ORDER BY destination",
    );
    expect(counts.rows).toEqual([
      { destination: 'campaign', suppressed: 1, held_out: holdout.filter((id) => id !== 'x001').length },
      { destination: 'mailing', suppressed: 0, held_out: holdout.length },
      { destination: 'study', suppressed: 0, held_out: 0 },
      { destination: 'table', suppressed: 0, held_out: 0 },
      { destination: 'warehouse', suppressed: 0, held_out: 0 },
    ]);

    // The next refresh: a leaving holdout member sends no remove (the campaign never held it).
    const next = customerIds('x', 2, 45);
    const second = await publishMembers('deliver-cohort', next);
    await deliver(destinations, second.runId, 'deliver-cohort');
    const now = await arms('deliver-arms');
    const newHoldout = customerIds('x', 41, 45).filter((id) => now.get(id)!.arm === 'holdout');
    expect(activation.removes()).toEqual([]);
    expect(activation.adds().filter((id) => holdout.includes(id) || newHoldout.includes(id))).toEqual([]);
    const status = await deliveryStatus(test.db, runId);
    expect(status.deliveries.find((d) => d.destination === 'mailing')?.heldOut).toBe(holdout.length);

    // Files: the analysis export has an arm column; the activation export leaves the holdout out.
    const full = (name: string) =>
      fs
        .readFileSync(path.join(folder, name, 'deliver-cohort', 'v1', 'full.csv'), 'utf8')
        .trim()
        .split('\n');
    expect(full('study')[0]).toBe('customer_id,arm');
    expect(full('study').slice(1).sort()).toEqual(members.map((id) => `${id},${assigned.get(id)!.arm}`).sort());
    expect(full('mailing')).toEqual(['customer_id', ...members.filter((id) => !holdout.includes(id))]);
    await activation.close();
    await analysis.close();
  });
});

describe('an experiment started on a cohort already delivered', () => {
  it('sends a remove to the activation destination for members assigned the holdout, and nothing else changes', async () => {
    await recordVersion(test.db, 'late-start', 1, { tier: 'tactical' }, { author: 'dana' });
    const receiver = await startDeliveryReceiver(SECRET);
    const destinations = [webhook('late-crm', receiver.url)];
    const members = customerIds('x', 1, 30);
    await deliver(destinations, (await publishMembers('late-start', members)).runId, 'late-start');
    expect(receiver.adds().sort()).toEqual(members);

    const definition = parseExperiment(experimentYaml('late-start-exp', 'late-start'), 'late.yaml');
    await createExperiment(test.db, { definition, createdBy: 'olga', rationale: 'does the reminder work' });
    await deliver(destinations, (await publishMembers('late-start', members)).runId, 'late-start');
    const holdout = [...(await arms('late-start-exp')).values()].filter((a) => a.arm === 'holdout');
    expect(holdout.length).toBeGreaterThan(0);
    expect(receiver.removes().sort()).toEqual(holdout.map((a) => a.customer_id).sort());
    expect(receiver.adds().sort()).toEqual(members);
    await receiver.close();
  });
});

describe('a rollback', () => {
  it('assigns the members of the snapshot it restores that have no arm yet, without reallocating', async () => {
    await recordVersion(test.db, 'rolled', 1, { tier: 'tactical' }, { author: 'dana' });
    const before = await publishMembers('rolled', customerIds('x', 61, 80));
    const definition = parseExperiment(experimentYaml('rolled-exp', 'rolled'), 'rolled.yaml');
    await createExperiment(test.db, { definition, createdBy: 'olga', rationale: 'does the reminder work' });
    const second = await publishMembers('rolled', customerIds('x', 61, 65));
    expect((await arms('rolled-exp')).size).toBe(5);
    await restorePrevious(test.db, {
      runId: second.runId,
      rollbackId: `${second.runId}:rollback:1`,
      cohorts: ['rolled'],
      requestedBy: 'rob',
      approvedBy: 'rob',
      reason: 'the new version was wrong',
    });
    const after = await arms('rolled-exp');
    expect(before.snapshotId).toBeTruthy();
    expect([...after.keys()].sort()).toEqual(customerIds('x', 61, 80));
    expect(after.get('x070')!.run_id).toBe(`${second.runId}:rollback:1`);
  });
});

describe('adaptive allocation at publish', () => {
  it("moves the treatments' shares toward the better arm, records the evidence, keeps the holdout's share and every existing arm", async () => {
    await startExperiment(
      'adaptive',
      'adaptive-cohort',
      'adaptive: { floor: 0.1, warmup: 5, draws: 5000 }',
      `  - { id: holdout, share: 0.1, holdout: true }
  - { id: plain, share: 0.45 }
  - { id: discount, share: 0.45 }`,
    );
    const early = customerIds('h', 1, 80);
    const late = customerIds('n', 1, 40);
    for (const id of [...early, ...late]) await addCustomer(test.db, id);
    // Members assigned a month ago under version 1, as an earlier refresh left them.
    await registerRun(test.db, 'run-adaptive-0', '2026-10-01T06:00:00Z');
    const old = await storeSnapshot(test.db, {
      runId: 'run-adaptive-0',
      cohortId: 'adaptive-cohort',
      version: 1,
      asOf: '2026-10-01T06:00:00Z',
      customerIds: early,
    });
    await test.db.query("SELECT experiment_assign('adaptive', $1, 'run-adaptive-0', now() - interval '30 days')", [
      old,
    ]);
    const before = await arms('adaptive');
    // Every discount member purchased two days after assignment; no plain member did.
    await test.db.query(
      `INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at)
       SELECT 'billing', 'p-' || customer_id, customer_id, 'purchase', assigned_at + interval '2 days', now()
       FROM experiment_assignments WHERE experiment_id = 'adaptive' AND arm = 'discount'`,
    );
    const discount = [...before.values()].filter((a) => a.arm === 'discount').length;
    const plain = [...before.values()].filter((a) => a.arm === 'plain').length;

    const { runId, snapshotId, published } = await publishMembers('adaptive-cohort', [...early, ...late]);
    expect(published.experiment).toEqual({ experimentId: 'adaptive', assigned: 40, allocationVersion: 2 });
    const decision = await test.db.query(
      "SELECT decision, from_version, to_version, seed, evidence FROM experiment_reallocations WHERE experiment_id = 'adaptive'",
    );
    expect(decision.rows).toEqual([
      {
        decision: 'reallocated',
        from_version: 1,
        to_version: 2,
        seed: `adaptive:${runId}`,
        evidence: expect.objectContaining({ decision: 'reallocated', holdout: { arm: 'holdout', share: 0.1 } }),
      },
    ]);
    const evidence = decision.rows[0].evidence as {
      arms: { arm: string; successes: number; failures: number; share: number }[];
    };
    expect(evidence.arms.map((a) => [a.arm, a.successes, a.failures])).toEqual([
      ['plain', 0, plain],
      ['discount', discount, 0],
    ]);
    const v2 = await test.db.query(
      "SELECT arms, shares FROM experiment_allocations WHERE experiment_id = 'adaptive' AND version = 2",
    );
    const shares = Object.fromEntries(v2.rows[0].arms.map((arm: string, i: number) => [arm, v2.rows[0].shares[i]]));
    expect(shares.holdout).toBe(0.1);
    expect(shares.plain).toBeCloseTo(0.1, 3);
    expect(shares.discount).toBeCloseTo(0.8, 3);

    const after = await test.db.query<{ customer_id: string; arm: string; allocation_version: number }>(
      "SELECT customer_id, arm, allocation_version FROM experiment_assignments WHERE experiment_id = 'adaptive'",
    );
    const byId = new Map(after.rows.map((r) => [r.customer_id, r]));
    expect(
      early.filter((id) => byId.get(id)!.arm !== before.get(id)!.arm || byId.get(id)!.allocation_version !== 1),
    ).toEqual([]);
    expect(late.map((id) => byId.get(id)!.allocation_version)).toEqual(late.map(() => 2));

    // A retried publish neither decides again nor assigns anyone.
    await publishSnapshots(test.db, { runId, snapshotIds: [snapshotId], approvedBy: 'alex' });
    expect(
      (await test.db.query("SELECT 1 FROM experiment_reallocations WHERE experiment_id = 'adaptive'")).rowCount,
    ).toBe(1);
    const report = await experimentReport(test.db, 'adaptive');
    expect(report.reallocations.map((r) => [r.decision, r.toVersion])).toEqual([['reallocated', 2]]);
    expect(report.report.sampleRatio.strata).toHaveLength(2);
    expect(report.report.cautions).toContain(
      'the allocation changed 1 time(s); comparisons pool members assigned under different shares',
    );
  });
});

describe('the report', () => {
  it('counts every arm and checks the split', async () => {
    const report = await experimentReport(test.db, 'keep-arms');
    const sizes = Object.fromEntries(report.report.arms.map((a) => [a.arm, a.assigned]));
    expect(sizes.holdout! + sizes.reminder!).toBe(60);
    expect(report.report.sampleRatio.strata).toHaveLength(1);
    expect(report.report.sampleRatio.mismatch).toBe(false);
  });
});
