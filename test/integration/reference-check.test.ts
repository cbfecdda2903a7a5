import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadCatalog } from '../../src/cohorts/catalog';
import type { CohortDefinition } from '../../src/cohorts/definition';
import { computeSnapshot, materialiseMeasures, planRun, type PlannedCohort } from '../../src/cohorts/run-compute';
import { ingestSources } from '../../src/ingest/ingest-sources';
import { createLogger } from '../../src/log';
import { generateSources } from '../../src/sources/generate/index';
import { freshDatabase, type TestDatabase } from '../support/db';
import { readSourceRows, ReferenceCohorts } from '../support/reference-cohorts';
import { statementMembers } from '../support/statement';

// The engine (rollups, one measures pass, compiled SQL) against a plain evaluator of the same
// language over raw rows (test/support/reference-cohorts.ts), for every cohort of the shipped
// catalog, on generated data ingested for real.

const CATALOG_DIR = path.resolve(__dirname, '../../catalog');
// it.each needs its cases before any hook runs, so the folder is listed now: whatever it holds
// is checked. loadCatalog validates the same files in beforeAll. Cohorts reading a score wait for
// model versions this data cannot carry (monthly invoices; no run plans them): scores-in-rules
// checks score cohorts against an independent scoring instead.
const READS_A_SCORE = /name:\s*(p_alive|expected_purchases_90d|clv_12m|churn_probability|upgrade_probability)\b/;
const CATALOG_FILES = fs
  .readdirSync(CATALOG_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .filter((f) => !READS_A_SCORE.test(fs.readFileSync(path.join(CATALOG_DIR, f), 'utf8')))
  .sort();
const log = createLogger('warn');

let test: TestDatabase;
let workDir: string;
let catalog: Map<string, CohortDefinition>;
let byFile: Map<string, CohortDefinition>;
/** A moment just after the first ingest committed. */
let firstAsOf: Date;
let reference: ReferenceCohorts;

const cohortIn = (file: string) => byFile.get(file)!;

/** The self-contained statement preview and explain run: measures over the rollups, then the rule. */
async function statement(def: CohortDefinition, asOf: Date, from?: 'events'): Promise<Set<string>> {
  return new Set((await statementMembers(test.db, def, catalog, asOf, from)).members);
}

interface RefreshRun {
  asOf: Date;
  readsFrom?: 'state' | 'events';
  planned: PlannedCohort[];
  snapshots: Map<string, Set<string>>;
}

/** What a refresh run computes: plan, one measures pass, then a snapshot per cohort after those it refers to. */
async function refreshRun(runId: string, asOf: Date): Promise<RefreshRun> {
  await test.db.query(
    `INSERT INTO runs (run_id, cadence, tier, requested_by, rationale, as_of) VALUES ($1, 'daily', 'all', 'qa', 'reference check', $2)`,
    [runId, asOf],
  );
  const planned = await planRun(test.db, CATALOG_DIR, {
    runId,
    tier: 'all',
    author: 'qa',
    rationale: 'reference check',
  });
  const { readsFrom } = await materialiseMeasures(test.db, { runId, asOf: asOf.toISOString() });
  const snapshots = new Map<string, Set<string>>();
  while (snapshots.size < planned.length) {
    const ready = planned.filter((p) => !snapshots.has(p.cohortId) && p.dependsOn.every((d) => snapshots.has(d)));
    if (ready.length === 0)
      throw new Error(`run ${runId}: no planned cohort is ready; planned ${planned.map((p) => p.cohortId).join(', ')}`);
    for (const p of ready) {
      const s = await computeSnapshot(test.db, {
        runId,
        cohortId: p.cohortId,
        definitionVersion: p.definitionVersion,
        asOf: asOf.toISOString(),
      });
      const members = await test.db.query<{ customer_id: string }>(
        'SELECT customer_id FROM snapshot_members WHERE snapshot_id = $1',
        [s.snapshotId],
      );
      snapshots.set(p.cohortId, new Set(members.rows.map((r) => r.customer_id)));
    }
  }
  return { asOf, readsFrom, planned, snapshots };
}

/** The run's snapshot; a cohort the run does not plan (deprecated) by the self-contained statement. */
const runMembers = async (run: RefreshRun, def: CohortDefinition) =>
  run.snapshots.get(def.id) ?? statement(def, run.asOf);

/** Customers in one set and not the other (a few of each side), each with the figures `explain` gives. */
function differences(
  sides: [string, string],
  got: Set<string>,
  expected: Set<string>,
  explain: (id: string) => string[],
): string[] {
  const show = (ids: string[], side: string) =>
    ids
      .slice(0, 4)
      .map((id) => [`${id}: ${side} only (${ids.length} such)`, ...explain(id).map((l) => `    ${l}`)].join('\n'));
  return [
    ...show([...got].filter((id) => !expected.has(id)).sort(), sides[0]),
    ...show([...expected].filter((id) => !got.has(id)).sort(), sides[1]),
  ];
}

const disagreements = (def: CohortDefinition, engine: Set<string>, ref: ReferenceCohorts) =>
  differences(['selected by the engine', 'selected by the reference'], engine, ref.members(def), (id) =>
    ref.explain(def, id),
  );

beforeAll(async () => {
  test = await freshDatabase('reference');
  workDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cf-reference-'));
  // Ingest stamps rows and customers with the real clock, so asOf follows the ingest; the data
  // ends at the real "now" so that short windows (7d, 14d) see some of it.
  await generateSources(path.join(workDir, 'first'), { customers: 3000, days: 90, seed: 11, now: new Date() });
  await ingestSources({ db: test.db, log }, { runId: 'ingest-first', sourceDir: path.join(workDir, 'first') });
  firstAsOf = new Date(Date.now() + 1); // past the microseconds of the last commit
  const entries = await loadCatalog(CATALOG_DIR);
  catalog = new Map(entries.map((e) => [e.definition.id, e.definition]));
  byFile = new Map(entries.map((e) => [path.basename(e.file), e.definition]));
  reference = new ReferenceCohorts(await readSourceRows(test.db), catalog, firstAsOf);
});

afterAll(async () => {
  await test?.drop();
  if (workDir) await fsp.rm(workDir, { recursive: true, force: true });
});

describe('the cohort engine, checked against a plain evaluation of the raw rows', () => {
  it.each(CATALOG_FILES)(
    '%s selects at least one customer on the generated data, so the comparison is not vacuous',
    (file) => {
      expect(reference.members(cohortIn(file)).size).toBeGreaterThan(0);
    },
  );

  it.each(CATALOG_FILES)(
    '%s: the self-contained statement (preview, explain) selects exactly the reference members',
    async (file) => {
      const def = cohortIn(file);
      expect(disagreements(def, await statement(def, firstAsOf), reference)).toEqual([]);
    },
  );

  it.each(CATALOG_FILES)(
    '%s: read from the raw rows, the statement selects exactly the reference members',
    async (file) => {
      const def = cohortIn(file);
      expect(disagreements(def, await statement(def, firstAsOf, 'events'), reference)).toEqual([]);
    },
  );

  describe('in a refresh run', () => {
    let run: RefreshRun;
    beforeAll(async () => {
      run = await refreshRun('reference-run', firstAsOf);
    });

    it('reads the measures from the derived customer state', () => {
      expect(run.readsFrom).toBe('state');
    });

    it.each(CATALOG_FILES)(
      '%s: the snapshot holds exactly the reference members (a deprecated cohort is not planned)',
      (file) => {
        const def = cohortIn(file);
        if (def.status === 'deprecated') {
          expect(run.planned.map((p) => p.cohortId)).not.toContain(def.id);
          return;
        }
        expect(disagreements(def, run.snapshots.get(def.id)!, reference)).toEqual([]);
      },
    );
  });
});

describe('point in time, once a second batch has been ingested after asOf', () => {
  let firstRun: RefreshRun;
  let replay: RefreshRun;
  let replayReference: ReferenceCohorts;
  let laterRun: RefreshRun;
  let laterReference: ReferenceCohorts;

  beforeAll(async () => {
    firstRun = await refreshRun('reference-before-batch', firstAsOf);
    // A week of different data for the same customers and 200 new ones, up to the moment it is
    // read (a row stamped later would be quarantined). Sources of their own names, so their event
    // ids do not collide with the first batch's.
    const late = path.join(workDir, 'late');
    await generateSources(late, { customers: 3200, days: 7, seed: 12, now: new Date() });
    const sources = ['product', 'crm', 'billing', 'support'].map((kind) => `  - { name: ${kind}-late, kind: ${kind} }`);
    await fsp.writeFile(path.join(late, 'sources.yaml'), `sources:\n${sources.join('\n')}\n`);
    await ingestSources({ db: test.db, log }, { runId: 'ingest-late', sourceDir: late });
    const laterAsOf = new Date(Date.now() + 1);
    const rows = await readSourceRows(test.db);
    replayReference = new ReferenceCohorts(rows, catalog, firstAsOf);
    laterReference = new ReferenceCohorts(rows, catalog, laterAsOf);
    replay = await refreshRun('reference-replay', firstAsOf);
    laterRun = await refreshRun('reference-later', laterAsOf);
  });

  it('reads the measures from the raw rows at the earlier asOf, and from the derived state after the batch', () => {
    expect([replay.readsFrom, laterRun.readsFrom]).toEqual(['events', 'state']);
  });

  it.each(CATALOG_FILES)('%s: a run at the earlier asOf ignores every row ingested after it', async (file) => {
    const def = cohortIn(file);
    expect(disagreements(def, await runMembers(replay, def), replayReference)).toEqual([]);
  });

  it.each(CATALOG_FILES)(
    '%s: a run at the earlier asOf selects the members the run before the batch selected',
    async (file) => {
      const def = cohortIn(file);
      const explain = (id: string) => [
        ...reference.explain(def, id).map((l) => `before the batch: ${l}`),
        ...replayReference.explain(def, id).map((l) => `after the batch:  ${l}`),
      ];
      expect(
        differences(
          ['selected by the replay', 'selected before the batch'],
          await runMembers(replay, def),
          await runMembers(firstRun, def),
          explain,
        ),
      ).toEqual([]);
    },
  );

  it.each(CATALOG_FILES)('%s: a run after the batch selects exactly the reference members', async (file) => {
    const def = cohortIn(file);
    expect(disagreements(def, await runMembers(laterRun, def), laterReference)).toEqual([]);
  });
});
