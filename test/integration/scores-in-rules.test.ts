import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { computeSnapshot, materialiseMeasures, planRun, type WaitingForModels } from '../../src/cohorts/run-compute';
import { explainCohort, previewCohort, whyMember } from '../../src/cohorts/inspect';
import { fitModelVersion } from '../../src/scores/governance/fit-model';
import { decideProposals, type ModelVersion } from '../../src/scores/governance/model-versions';
import { scoreRun } from '../../src/scores/governance/score-run';
import type { PurchasingModels } from '../../src/scores/purchasing/score-customers';
import { insertVersion, movePointer } from '../../src/publishing/published-versions';
import { listenApi } from '../support/api';
import { addCustomer, rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { addPurchasers, independentPurchasingScores } from '../support/purchasers';

// Scores in rules, end to end over real Postgres: a model fitted on buyers' invoices and approved,
// a run that pins it, scores its customers as of asOf and computes cohorts reading the scores.

let test: TestDatabase;
let workDir: string;
let catalogDir: string;
let asOf: string;
let runNo = 0;

const cohortFile = (id: string, rule: string, sources = '[billing]') => `id: ${id}
name: ${id}
purpose: Specification cohort ${id}.
owner: qa
tier: tactical
sources: ${sources}
limitations: none known
checks: { minSize: 0, allowEmpty: true }
rule:
${rule}
`;

async function newRun(): Promise<string> {
  runNo += 1;
  const runId = `scores-run-${runNo}`;
  await test.db.query(
    "INSERT INTO runs (run_id, cadence, tier, requested_by, rationale, as_of) VALUES ($1, 'adhoc', 'all', 'rita', 'spec', $2)",
    [runId, asOf],
  );
  return runId;
}

/** Plans, scores, materialises and computes every planned cohort, as the workflow does. */
async function computeRun(): Promise<{ runId: string; sizes: Map<string, string>; waiting: WaitingForModels[] }> {
  const runId = await newRun();
  let waiting: WaitingForModels[] = [];
  const planned = await planRun(test.db, catalogDir, { runId, tier: 'all', author: 'rita', rationale: 'spec' }, (w) => {
    waiting = w;
  });
  await scoreRun(test.db, { runId, asOf });
  await materialiseMeasures(test.db, { runId, asOf });
  const sizes = new Map<string, string>();
  for (const p of planned) sizes.set(p.cohortId, (await computeSnapshot(test.db, { runId, ...p, asOf })).snapshotId);
  return { runId, sizes, waiting };
}

const membersOf = async (snapshotId: string) =>
  (
    await test.db.query<{ customer_id: string }>(
      'SELECT customer_id FROM snapshot_members WHERE snapshot_id = $1 ORDER BY customer_id',
      [snapshotId],
    )
  ).rows.map((r) => r.customer_id);

let purchasing: ModelVersion;

beforeAll(async () => {
  test = await freshDatabase('scores_in_rules');
  workDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cf-scores-'));
  catalogDir = path.join(workDir, 'catalog');
  await fsp.mkdir(catalogDir);
  asOf = '2026-06-01T00:00:00.000Z';
  await addPurchasers(test.db, { customers: 400, until: new Date(asOf), seed: 17 });
  await rebuildDerivedState(test.db);
  await fsp.writeFile(
    path.join(catalogDir, 'likely-alive.yaml'),
    cohortFile('likely-alive', '  measure: { name: p_alive, gte: 0.6 }'),
  );
  await fsp.writeFile(
    path.join(catalogDir, 'top-clv.yaml'),
    cohortFile('top-clv', '  measure: { name: clv_12m, as: quantile, gte: 0.8 }'),
  );
}, 180_000);

afterAll(async () => {
  await test?.drop();
  if (workDir) await fsp.rm(workDir, { recursive: true, force: true });
});

describe('scores in rules', () => {
  it('leaves a cohort reading a score out of a run while no version of its model is current, and says which', async () => {
    const { sizes, waiting } = await computeRun();
    expect(sizes.has('likely-alive')).toBe(false);
    expect(waiting).toEqual(
      expect.arrayContaining([
        { cohortId: 'likely-alive', kinds: ['purchasing'] },
        { cohortId: 'top-clv', kinds: ['purchasing'] },
      ]),
    );
    // Preview refuses it too, saying which score and which model to fit.
    await expect(previewCohort(test.db, catalogDir, 'likely-alive', new Date(asOf), 5)).rejects.toThrow(
      'likely-alive: its rule reads p_alive, but no purchasing model version is current yet: fit one (cohortflow models fit purchasing) and approve it through a refresh',
    );
  });

  it('computes p_alive and clv_12m quantile cohorts equal to an independent scoring of the same invoices', async () => {
    purchasing = await fitModelVersion(test.db, {
      kind: 'purchasing',
      asOf: new Date(asOf),
      author: 'rita',
      rationale: 'first purchasing model',
      runId: 'fit-run-1',
    });
    expect({ promotable: purchasing.promotable, reason: purchasing.promotionReason }).toEqual({
      promotable: true,
      reason: 'both fits converged and the spend model has a finite mean (q > 1)',
    });
    await decideProposals(test.db, { runId: 'fit-run-1', approved: true, by: 'bob' });

    const { runId, sizes } = await computeRun();
    // Independently: every buyer's invoice days from the raw events, summarised and scored.
    const independent = await independentPurchasingScores(test.db, purchasing.parameters as PurchasingModels, asOf);
    const ids = independent.map((c) => c.customerId);
    const alive = independent.filter((c) => c.pAlive >= 0.6).map((c) => c.customerId);
    const clv = independent.map((c) => c.clv);
    const top = independent
      .filter((c) => clv.filter((v) => v <= c.clv).length / clv.length >= 0.8)
      .map((c) => c.customerId);
    expect(alive.length).toBeGreaterThan(0);
    expect(alive.length).toBeLessThan(ids.length);
    expect(await membersOf(sizes.get('likely-alive')!)).toEqual(alive);
    expect(await membersOf(sizes.get('top-clv')!)).toEqual(top);

    const lineage = await test.db.query<{ model_versions: Record<string, string> }>(
      'SELECT model_versions FROM cohort_snapshots WHERE snapshot_id = $1',
      [sizes.get('likely-alive')],
    );
    expect(lineage.rows[0]!.model_versions).toEqual({ purchasing: purchasing.modelId });
    expect(runId).toBeDefined();
  });

  it('explains a member with the score, its inputs and the model version', async () => {
    const { runId, sizes } = await computeRun();
    // A member with repeat purchases, whose P(alive) the model had to work out.
    const stored = await test.db.query<{ customer_id: string; p_alive: number }>(
      `SELECT c.customer_id, s.p_alive FROM run_scores s JOIN customers c ON c.customer_no = s.customer_no
       WHERE s.run_id = $1 AND s.p_alive >= 0.6 AND s.p_alive < 1 ORDER BY c.customer_id LIMIT 1`,
      [runId],
    );
    const { customer_id: member, p_alive: runScore } = stored.rows[0]!;
    expect(await membersOf(sizes.get('likely-alive')!)).toContain(member);
    const why = await whyMember(test.db, catalogDir, 'likely-alive', member, new Date(asOf));
    expect(why.member).toBe(true);
    expect(why.rule!.text).toBe(`measure p_alive = ${Number(runScore.toFixed(4))} (gte 0.6)`);
    expect(why.scores[0]!.value).toBeCloseTo(runScore, 12);
    expect(why.scores[0]!.inputs!.frequency).toBeGreaterThan(0);
    expect(why.scores).toEqual([
      expect.objectContaining({
        measure: 'p_alive',
        modelId: purchasing.modelId,
        inputs: expect.objectContaining({
          frequency: expect.any(Number),
          recency: expect.any(Number),
          age: expect.any(Number),
        }),
      }),
    ]);
  });
});

describe('explaining a score cohort', () => {
  it('says how each score is computed and which model version computes it', async () => {
    const explained = await explainCohort(test.db, catalogDir, 'top-clv', new Date(asOf));
    expect(explained.scores).toEqual([
      {
        measure: 'clv_12m',
        modelId: purchasing.modelId,
        formula: expect.stringMatching(/^Σ over 12 months .*Gamma-Gamma/),
      },
    ]);
    // Runs computed top-clv at this asOf: the statement reads the scores the newest one stored.
    expect(explained.sql).toMatch(/LEFT JOIN run_scores sc ON sc.run_id = \$2/);
    expect(explained.params[1]).toBe(explained.snapshot!.runId);
  });
});

describe('explaining a past snapshot after a new model version became current', () => {
  let published: { runId: string; snapshotId: string };
  let first: ModelVersion;
  let second: ModelVersion;

  /** The stored P(alive) of each customer in a run, by customer id. */
  const storedScores = async (runId: string) =>
    new Map(
      (
        await test.db.query<{ customer_id: string; p_alive: number }>(
          `SELECT c.customer_id, s.p_alive FROM run_scores s JOIN customers c ON c.customer_no = s.customer_no
           WHERE s.run_id = $1 AND s.p_alive IS NOT NULL`,
          [runId],
        )
      ).rows.map((r) => [r.customer_id, r.p_alive]),
    );

  beforeAll(async () => {
    first = purchasing;
    const { runId, sizes } = await computeRun();
    published = { runId, snapshotId: sizes.get('likely-alive')! };
    await test.db.transaction(async (tx) => {
      await insertVersion(tx, { cohortId: 'likely-alive', snapshotId: published.snapshotId, runId, approvedBy: 'bob' });
      await movePointer(tx, 'likely-alive', published.snapshotId, runId);
    });
    // A second purchasing version, fitted on what was known 90 days earlier, made current.
    second = await fitModelVersion(test.db, {
      kind: 'purchasing',
      asOf: new Date(Date.parse(asOf) - 90 * 86_400_000),
      author: 'rita',
      rationale: 'second purchasing model',
      runId: 'fit-run-2',
    });
    await decideProposals(test.db, { runId: 'fit-run-2', approved: true, by: 'bob' });
  }, 180_000);

  it('explains the published snapshot with the scores and model version its run used, not the current ones', async () => {
    expect(
      (await test.db.query('SELECT status FROM model_versions WHERE model_id = $1', [second.modelId])).rows[0],
    ).toEqual({ status: 'current' });
    const stored = await storedScores(published.runId);
    const members = new Set(await membersOf(published.snapshotId));
    // A customer whom the current version would place on the other side of the rule's bound.
    const now = await independentPurchasingScores(test.db, second.parameters as PurchasingModels, asOf);
    const flipped = now.find((c) => stored.has(c.customerId) && members.has(c.customerId) !== c.pAlive >= 0.6);
    expect(flipped).toBeDefined();
    const customer = flipped!.customerId;

    const why = await whyMember(test.db, catalogDir, 'likely-alive', customer, undefined);
    expect(why.asOf).toBe(asOf);
    expect(why.snapshot).toEqual({
      snapshotId: published.snapshotId,
      runId: published.runId,
      definitionVersion: expect.any(Number),
      published: true,
      member: members.has(customer),
    });
    expect(why.member).toBe(members.has(customer));
    expect(why.rule!.holds).toBe(members.has(customer));
    expect(why.warning).toBeUndefined();
    expect(why.scores).toEqual([
      expect.objectContaining({ measure: 'p_alive', modelId: first.modelId, missing: null }),
    ]);
    expect(why.scores[0]!.value).toBe(stored.get(customer));
    expect(why.scores[0]!.inputs).toEqual(expect.objectContaining({ frequency: expect.any(Number) }));
    expect(why.scoring).toEqual({
      runId: published.runId,
      models: { purchasing: first.modelId },
      text: `scores stored by run ${published.runId}, which computed snapshot ${published.snapshotId}, with model version ${first.modelId}`,
    });
  });

  it('says an ad hoc asOf no run computed is scored now, with the current version', async () => {
    const adHoc = new Date(Date.parse(asOf) + 86_400_000);
    const [customer] = [...(await storedScores(published.runId)).keys()].sort();
    const why = await whyMember(test.db, catalogDir, 'likely-alive', customer!, adHoc);
    expect(why.asOf).toBe(adHoc.toISOString());
    expect(why.snapshot).toBeNull();
    expect(why.scores[0]!.modelId).toBe(second.modelId);
    expect(why.scoring).toEqual({
      runId: null,
      models: { purchasing: second.modelId },
      text: `scored now with model version ${second.modelId}: no run computed this asOf`,
    });
  });

  it('says plainly that a customer the run never scored has no stored score', async () => {
    await addCustomer(test.db, 'newcomer', { plan: 'pro', lifecycle_stage: 'paid', first_seen_at: asOf });
    const why = await whyMember(test.db, catalogDir, 'likely-alive', 'newcomer', undefined);
    expect(why.snapshot).toMatchObject({ snapshotId: published.snapshotId, member: false });
    expect(why.member).toBe(false);
    expect(why.scores).toEqual([
      {
        measure: 'p_alive',
        modelId: first.modelId,
        value: null,
        quantile: null,
        inputs: null,
        missing: `run ${published.runId} stored no score for this customer: not scored as of its asOf (not known yet, or no model applies)`,
      },
    ]);
  });

  it('explains a snapshot computed at the asOf asked with the versions its lineage names', async () => {
    const atSnapshot = await explainCohort(test.db, catalogDir, 'likely-alive', new Date(asOf));
    expect(atSnapshot.snapshot).toEqual(expect.objectContaining({ snapshotId: published.snapshotId, published: true }));
    expect(atSnapshot.scores).toEqual([expect.objectContaining({ measure: 'p_alive', modelId: first.modelId })]);
    expect(atSnapshot.sql).toMatch(/run_scores/);
    const adHoc = await explainCohort(test.db, catalogDir, 'likely-alive', new Date(Date.parse(asOf) + 86_400_000));
    expect(adHoc.snapshot).toBeNull();
    // Scored now: the scores enter the statement as values, not from a run's table.
    expect(adHoc.sql).toMatch(/unnest\(/);
    expect(adHoc.sql).not.toMatch(/run_scores/);
    expect(adHoc.scores).toEqual([expect.objectContaining({ measure: 'p_alive', modelId: second.modelId })]);
    expect(adHoc.scoring!.text).toBe(`scored now with model version ${second.modelId}: no run computed this asOf`);
  });

  it('prints, through the API and the CLI, the snapshot it explains and where its scores come from', async () => {
    const api = await listenApi(
      { db: test.db, catalogDir },
      { 'scores-cli-viewer-0123456789': { user: 'vera', roles: ['viewer'] } },
    );
    const cli = (args: string[]) =>
      new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['--import', 'tsx', 'src/cli/main.ts', ...args],
          {
            cwd: path.resolve(__dirname, '../..'),
            env: {
              ...process.env,
              COHORTFLOW_API_URL: api.base,
              COHORTFLOW_TOKEN: 'scores-cli-viewer-0123456789',
              LOG_LEVEL: 'warn',
            },
          },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
    try {
      const [customer] = [...(await storedScores(published.runId)).keys()].sort();
      const lines = (await cli(['cohorts', 'why', 'likely-alive', customer!])).split('\n');
      expect(lines[1]).toMatch(
        new RegExp(
          `^explaining snapshot ${published.snapshotId} \\(published\\), computed by run ${published.runId} from definition version \\d+: (member|not a member)$`,
        ),
      );
      expect(lines).toContain(
        `scores stored by run ${published.runId}, which computed snapshot ${published.snapshotId}, with model version ${first.modelId}`,
      );
      expect(lines.find((l) => l.startsWith('score p_alive'))).toMatch(`by model ${first.modelId}, from frequency`);
      const adHoc = (await cli(['cohorts', 'why', 'likely-alive', customer!, '--as-of', '2026-06-02'])).split('\n');
      expect(adHoc[1]).toBe(
        'no snapshot of this cohort was computed at this asOf: evaluated now with the current definition',
      );
      expect(adHoc).toContain(`scored now with model version ${second.modelId}: no run computed this asOf`);
    } finally {
      await api.close();
    }
  }, 60_000);
});
