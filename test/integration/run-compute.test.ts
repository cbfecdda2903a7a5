import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidDefinitionError } from '../../src/cohorts/catalog';
import {
  computeSnapshot,
  dropMeasures,
  materialiseMeasures,
  measuresTableOf,
  planRun,
  type PlannedCohort,
} from '../../src/cohorts/run-compute';
import { inDependencyOrder } from '../../src/workflows/compute-order';
import { definitionVersions, GuardrailRefused, recordDeletion } from '../../src/cohorts/versions';
import { addCustomer, addEvent, rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';

// A run's compute over real Postgres: versions, one measures pass, snapshots in dependency order.

const AS_OF = '2026-03-01T00:00:00.000Z';
let test: TestDatabase;
let catalogDir: string;
let runNo = 0;

const cohortFile = (id: string, tier: string, rule: string, sources = '[crm, product]') => `id: ${id}
name: ${id}
purpose: Specification cohort ${id}.
owner: qa
tier: ${tier}
sources: ${sources}
limitations: none known
rule:
${rule}
`;

const FILES = {
  'paying.yaml': cohortFile('paying', 'strategic', '  trait: { name: plan, in: [pro, enterprise] }', '[crm]'),
  'active-payers.yaml': cohortFile(
    'active-payers',
    'tactical',
    '  all:\n    - in_cohort: paying\n    - event: { type: login, within: 7d, count: { gte: 2 } }',
  ),
  'frequent.yaml': cohortFile(
    'frequent',
    'tactical',
    '  measure: { name: frequency, window: 7d, gte: 3 }',
    '[product]',
  ),
};

async function plan(
  tier: 'all' | 'tactical' | 'strategic' = 'all',
  rationale = 'spec run',
): Promise<{ runId: string; planned: PlannedCohort[] }> {
  runNo += 1;
  const runId = `run-${runNo}`;
  await test.db.query(
    "INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ($1, 'adhoc', $2, 'rita', $3)",
    [runId, tier, rationale],
  );
  return { runId, planned: await planRun(test.db, catalogDir, { runId, tier, author: 'rita', rationale }) };
}

/** Plans, materialises and computes every cohort in dependency order, as the workflow does. */
async function computeRun(asOf = AS_OF) {
  const { runId, planned } = await plan();
  await materialiseMeasures(test.db, { runId, asOf });
  const computed = await inDependencyOrder(planned, 1, (p) =>
    computeSnapshot(test.db, { runId, cohortId: p.cohortId, definitionVersion: p.definitionVersion, asOf }),
  );
  const done = new Map(planned.map((p, i) => [p.cohortId, computed[i]!]));
  await dropMeasures(test.db, { runId });
  return { runId, planned, snapshots: done };
}

const membersOf = async (snapshotId: string) =>
  (
    await test.db.query<{ customer_id: string }>(
      'SELECT customer_id FROM snapshot_members WHERE snapshot_id = $1 ORDER BY customer_id',
      [snapshotId],
    )
  ).rows.map((r) => r.customer_id);

beforeAll(async () => {
  test = await freshDatabase('run_compute');
  catalogDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cohortflow-run-catalog-'));
  for (const [name, text] of Object.entries(FILES)) await fs.writeFile(path.join(catalogDir, name), text);
  await addCustomer(test.db, 'c_pro_active', { plan: 'pro' });
  await addCustomer(test.db, 'c_pro_idle', { plan: 'pro' });
  await addCustomer(test.db, 'c_free_active', { plan: 'free' });
  for (const id of ['c_pro_active', 'c_free_active'])
    for (const d of [26, 27, 28]) await addEvent(test.db, id, 'login', `2026-02-${d}T10:00:00Z`);
  await rebuildDerivedState(test.db);
});

afterAll(async () => {
  await test.drop();
});

describe('planning a run', () => {
  it('records a first version of every definition with the author and rationale, and orders references first', async () => {
    const { planned } = await plan('all', 'first look at the catalog');
    const versions = await definitionVersions(test.db, 'paying');

    expect(versions).toEqual([
      expect.objectContaining({
        version: 1,
        change: 'create',
        rationale: 'first look at the catalog',
        author: expect.stringMatching(/^rita/),
      }),
    ]);
    expect(planned.find((p) => p.cohortId === 'active-payers')?.dependsOn).toEqual(['paying']);
  });

  it('keeps the version when nothing changed and makes a new one when the file changes, the old one still readable', async () => {
    await plan();
    expect((await definitionVersions(test.db, 'frequent')).map((v) => v.version)).toEqual([1]);

    await fs.writeFile(path.join(catalogDir, 'frequent.yaml'), FILES['frequent.yaml'].replace('gte: 3', 'gte: 2'));
    await plan('all', 'two days is frequent enough');
    const versions = await definitionVersions(test.db, 'frequent');
    await fs.writeFile(path.join(catalogDir, 'frequent.yaml'), FILES['frequent.yaml']);

    expect(versions.map((v) => [v.version, v.change, v.rationale])).toEqual([
      [1, 'create', 'first look at the catalog'],
      [2, 'update', 'two days is frequent enough'],
    ]);
    expect(JSON.stringify(versions[0]!.definition)).toContain('"gte":3');
  });

  it('fixes the plan once: planning the same run again returns it unchanged', async () => {
    const { runId, planned } = await plan('tactical');
    expect(await planRun(test.db, catalogDir, { runId, tier: 'tactical', author: 'rita', rationale: 'retry' })).toEqual(
      planned,
    );
    expect(planned.map((p) => p.cohortId)).toEqual(['active-payers', 'frequent']);
  });

  it('refuses a run when a strategic cohort vanished from the folder without a recorded deletion', async () => {
    await fs.rm(path.join(catalogDir, 'paying.yaml'));
    await fs.writeFile(
      path.join(catalogDir, 'active-payers.yaml'),
      FILES['active-payers.yaml'].replace('    - in_cohort: paying\n', ''),
    );
    const err = await plan().then(
      () => undefined,
      (e: unknown) => e,
    );
    await fs.writeFile(path.join(catalogDir, 'paying.yaml'), FILES['paying.yaml']);
    await fs.writeFile(path.join(catalogDir, 'active-payers.yaml'), FILES['active-payers.yaml']);

    expect(err).toBeInstanceOf(InvalidDefinitionError);
    expect((err as InvalidDefinitionError).problems).toEqual([
      expect.stringMatching(
        /strategic cohort "paying" is missing from the catalog; .*cohortflow cohorts delete paying --reason/,
      ),
    ]);
    expect((await definitionVersions(test.db, 'paying')).map((v) => v.change)).toEqual(['create']);
  });

  it('refuses to delete a strategic cohort without a reason, and records the deletion with one', async () => {
    await expect(recordDeletion(test.db, 'paying', { author: 'rita' })).rejects.toBeInstanceOf(GuardrailRefused);
    expect((await definitionVersions(test.db, 'paying')).map((v) => v.change)).toEqual(['create']);

    await recordDeletion(test.db, 'paying', { author: 'rita', reason: 'Replaced by the revenue-based definition.' });
    const versions = await definitionVersions(test.db, 'paying');
    expect(versions.map((v) => [v.change, v.rationale])).toEqual([
      ['create', 'first look at the catalog'],
      ['delete', 'Replaced by the revenue-based definition.'],
    ]);

    await plan(); // the file is still there: the next run records it as created again
    expect((await definitionVersions(test.db, 'paying')).at(-1)).toMatchObject({ version: 3, change: 'create' });
  });
});

describe('computing snapshots', () => {
  it('computes each cohort over one measures table, referenced cohorts from their snapshots', async () => {
    const { snapshots } = await computeRun();

    expect(await membersOf(snapshots.get('paying')!.snapshotId)).toEqual(['c_pro_active', 'c_pro_idle']);
    expect(await membersOf(snapshots.get('active-payers')!.snapshotId)).toEqual(['c_pro_active']);
    expect(await membersOf(snapshots.get('frequent')!.snapshotId)).toEqual(['c_free_active', 'c_pro_active']);
    expect(snapshots.get('active-payers')!.size).toBe(1);
  });

  it('gives the same hash for the same definition version at the same asOf over the same data', async () => {
    const first = await computeRun();
    const second = await computeRun();

    for (const id of ['paying', 'active-payers', 'frequent']) {
      expect(second.snapshots.get(id)!.contentHash).toBe(first.snapshots.get(id)!.contentHash);
      expect(second.snapshots.get(id)!.snapshotId).not.toBe(first.snapshots.get(id)!.snapshotId);
    }
  });

  it('keeps the hash of an earlier asOf after later rows arrive, and changes it at a later asOf', async () => {
    const before = await computeRun();
    await addEvent(test.db, 'c_pro_idle', 'login', '2026-02-27T10:00:00Z', { ingestedAt: '2026-03-01T06:00:00Z' });
    await addEvent(test.db, 'c_pro_idle', 'login', '2026-02-28T10:00:00Z', { ingestedAt: '2026-03-01T06:00:00Z' });
    await addEvent(test.db, 'c_pro_idle', 'login', '2026-03-01T01:00:00Z', { ingestedAt: '2026-03-01T06:00:00Z' });
    await rebuildDerivedState(test.db);

    const again = await computeRun(AS_OF);
    const later = await computeRun('2026-03-01T07:00:00.000Z');

    expect(again.snapshots.get('active-payers')!.contentHash).toBe(before.snapshots.get('active-payers')!.contentHash);
    expect(await membersOf(later.snapshots.get('active-payers')!.snapshotId)).toEqual(['c_pro_active', 'c_pro_idle']);
    expect(later.snapshots.get('active-payers')!.contentHash).not.toBe(
      before.snapshots.get('active-payers')!.contentHash,
    );
  });

  it('is idempotent per (run, cohort): a retried compute returns the same snapshot and stores its members once', async () => {
    const { runId, planned } = await plan();
    await materialiseMeasures(test.db, { runId, asOf: AS_OF });
    const p = planned.find((x) => x.cohortId === 'paying')!;
    const once = await computeSnapshot(test.db, {
      runId,
      cohortId: p.cohortId,
      definitionVersion: p.definitionVersion,
      asOf: AS_OF,
    });
    const twice = await computeSnapshot(test.db, {
      runId,
      cohortId: p.cohortId,
      definitionVersion: p.definitionVersion,
      asOf: AS_OF,
    });

    expect(twice).toEqual(once);
    expect(
      (await test.db.query('SELECT count(*)::int AS n FROM snapshot_members WHERE snapshot_id = $1', [once.snapshotId]))
        .rows[0].n,
    ).toBe(once.size);
  });

  it('computes the same members without a measures table, from the rollups directly', async () => {
    const { runId, planned } = await plan();
    const p = planned.find((x) => x.cohortId === 'frequent')!;
    const direct = await computeSnapshot(test.db, {
      runId,
      cohortId: p.cohortId,
      definitionVersion: p.definitionVersion,
      asOf: AS_OF,
    });
    const tabled = await computeRun();

    expect(direct.contentHash).toBe(tabled.snapshots.get('frequent')!.contentHash);
  });

  it('drops the measures table when compute is done', async () => {
    const { runId } = await computeRun();
    expect((await test.db.query('SELECT to_regclass($1) AS t', [measuresTableOf(runId)])).rows[0].t).toBeNull();
  });
});
