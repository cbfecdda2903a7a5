import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadCatalog } from '../../src/cohorts/catalog';
import type { CohortDefinition } from '../../src/cohorts/definition';
import { computeSnapshot, materialiseMeasures, planRun } from '../../src/cohorts/run-compute';
import { ingestSources } from '../../src/ingest/ingest-sources';
import { createLogger } from '../../src/log';
import { planShadows } from '../../src/shadows/shadow-compute';
import { runShadow } from '../../src/shadows/shadow-run';
import { shadowReport } from '../../src/shadows/shadow-report';
import { startShadow, type ShadowRecord } from '../../src/shadows/shadow-store';
import type { ShadowRunSummary } from '../../src/shared';
import { generateSources } from '../../src/sources/generate/index';
import { freshDatabase, type TestDatabase } from '../support/db';
import { readSourceRows, ReferenceCohorts } from '../support/reference-cohorts';

// A shadow in one run over generated data ingested for real: its members against the plain
// evaluator of the language over raw rows (test/support/reference-cohorts.ts), its comparison
// with the live snapshot against sets counted here, and one run counted however often it is retried.

const CATALOG_DIR = path.resolve(__dirname, '../../catalog');
const COHORT = 'at-risk-paid';
const RUN = 'shadow-run-1';
const log = createLogger('warn');

let test: TestDatabase;
let workDir: string;
let asOf: Date;
let shadow: ShadowRecord;
let proposed: CohortDefinition;
let summary: ShadowRunSummary;
let live: Set<string>;
let members: Set<string>;

/** at-risk-paid with a looser slowdown: velocity 0.7 instead of 0.5 (still built on paying-customers). */
const proposalYaml = () =>
  fs
    .readFileSync(path.join(CATALOG_DIR, `${COHORT}.yaml`), 'utf8')
    .replace('measure: { name: velocity, lte: 0.5 }', 'measure: { name: velocity, lte: 0.7 }');

const idsOf = async (sql: string, params: unknown[]) =>
  new Set((await test.db.query<{ customer_id: string }>(sql, params)).rows.map((r) => r.customer_id));

beforeAll(async () => {
  test = await freshDatabase('shadow_run');
  workDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'cf-shadow-run-'));
  await generateSources(path.join(workDir, 'data'), { customers: 1500, days: 90, seed: 5, now: new Date() });
  await ingestSources({ db: test.db, log }, { runId: 'ingest', sourceDir: path.join(workDir, 'data') });
  asOf = new Date(Date.now() + 1);

  shadow = await startShadow(test.db, CATALOG_DIR, {
    cohortId: COHORT,
    yaml: proposalYaml(),
    runs: 2,
    author: 'ana',
    rationale: 'a looser slowdown catches churn earlier',
  });
  proposed = shadow.proposed;

  // What a refresh does before its shadows: plan, one measures pass, the live snapshots.
  await test.db.query(
    `INSERT INTO runs (run_id, cadence, tier, requested_by, rationale, as_of) VALUES ($1, 'adhoc', 'all', 'qa', 'shadow check', $2)`,
    [RUN, asOf],
  );
  const planned = await planRun(test.db, CATALOG_DIR, { runId: RUN, tier: 'all', author: 'qa', rationale: 'x' });
  await materialiseMeasures(test.db, { runId: RUN, asOf: asOf.toISOString() });
  const done = new Set<string>();
  while (done.size < planned.length)
    for (const p of planned.filter((x) => !done.has(x.cohortId) && x.dependsOn.every((d) => done.has(d)))) {
      await computeSnapshot(test.db, { runId: RUN, ...p, asOf: asOf.toISOString() });
      done.add(p.cohortId);
    }

  const plannedShadows = await planShadows(test.db, RUN);
  expect(plannedShadows).toEqual([{ shadowId: shadow.shadowId, cohortId: COHORT }]);
  summary = await runShadow(test.db, {
    runId: RUN,
    shadowId: shadow.shadowId,
    cohortId: COHORT,
    asOf: asOf.toISOString(),
  });
  live = await idsOf(
    `SELECT m.customer_id FROM cohort_snapshots s JOIN snapshot_members m USING (snapshot_id) WHERE s.run_id = $1 AND s.cohort_id = $2`,
    [RUN, COHORT],
  );
  members = await idsOf(
    `SELECT c.customer_id FROM shadow_snapshots s JOIN shadow_snapshot_chunks k USING (snapshot_id)
     CROSS JOIN LATERAL unnest(k.members) AS n (customer_no) JOIN customers c ON c.customer_no = n.customer_no
     WHERE s.run_id = $1 AND s.shadow_id = $2`,
    [RUN, shadow.shadowId],
  );
}, 600_000);

afterAll(async () => {
  await test?.drop();
  if (workDir) await fsp.rm(workDir, { recursive: true, force: true });
});

describe('a shadow in a run', () => {
  it('holds exactly the members the plain evaluator selects for the proposal (in_cohort included)', async () => {
    const entries = await loadCatalog(CATALOG_DIR);
    const catalog = new Map(entries.map((e) => [e.definition.id, e.definition]));
    catalog.set(COHORT, proposed);
    const reference = new ReferenceCohorts(await readSourceRows(test.db), catalog, asOf);
    expect([...members].sort()).toEqual([...reference.members(proposed)].sort());
    // A looser bar over the same base: the comparison is not vacuous.
    expect(members.size).toBeGreaterThan(live.size);
  });

  it('compares it with the live snapshot of the same run as the sets counted here', () => {
    const overlap = [...members].filter((c) => live.has(c)).length;
    expect(summary).toMatchObject({
      liveSize: live.size,
      shadowSize: members.size,
      overlap,
      adds: members.size - overlap,
      removes: live.size - overlap,
      runsRemaining: 1,
      status: 'active',
    });
    expect(summary.jaccard).toBeCloseTo(overlap / (live.size + members.size - overlap), 4);
  });

  it('counts a retried run once and answers what it stored', async () => {
    const again = await runShadow(test.db, {
      runId: RUN,
      shadowId: shadow.shadowId,
      cohortId: COHORT,
      asOf: asOf.toISOString(),
    });
    expect(again).toEqual(summary);
    expect(await planShadows(test.db, RUN)).toEqual([{ shadowId: shadow.shadowId, cohortId: COHORT }]);
    const report = await shadowReport(test.db, COHORT);
    expect(report.shadow).toMatchObject({ runsPlanned: 2, runsRemaining: 1, status: 'active' });
    expect(report.runs).toHaveLength(1);
  });

  it('tests it as a first publish would be tested, and stores KPIs of both member sets', async () => {
    const [run] = (await shadowReport(test.db, COHORT)).runs;
    expect(run!.checks.find((c) => c.name === 'churn')).toMatchObject({
      verdict: 'pass',
      reason: expect.stringMatching(/^first publish/),
    });
    expect(run!.checks.some((c) => c.name === 'definition_change')).toBe(false);
    const kpis = run!.kpis!;
    for (const k of ['conversion', 'revenuePerMember', 'churn'] as const)
      expect(kpis.difference[k]).toBeCloseTo(kpis.shadow[k] - kpis.live[k], 9);
    // Conversion and churn counted again from the raw events: the 30 UTC days up to asOf's day.
    const events = await test.db.query<{ customer_id: string; event_type: string; days_before: number }>(
      `SELECT customer_id, event_type, ($1::date - (occurred_at AT TIME ZONE 'UTC')::date) AS days_before
       FROM events WHERE event_type IN ('subscription_started', 'subscription_cancelled')`,
      [asOf.toISOString().slice(0, 10)],
    );
    const shareOf = (set: Set<string>, type: string) =>
      new Set(
        events.rows
          .filter((e) => e.event_type === type && e.days_before >= 0 && e.days_before < 30 && set.has(e.customer_id))
          .map((e) => e.customer_id),
      ).size / set.size;
    expect(kpis.live.conversion).toBeCloseTo(shareOf(live, 'subscription_started'), 9);
    expect(kpis.shadow.conversion).toBeCloseTo(shareOf(members, 'subscription_started'), 9);
    expect(kpis.shadow.churn).toBeCloseTo(shareOf(members, 'subscription_cancelled'), 9);
    // Revenue per member from the raw invoices and refunds, in USD: these members pay, so it is not 0.
    const revenueOf = async (set: Set<string>) =>
      Number(
        (
          await test.db.query<{ usd: number }>(
            `SELECT COALESCE(sum(CASE e.event_type WHEN 'invoice_paid' THEN 1 ELSE -1 END * e.value / fx.per_usd), 0)::float8 AS usd
             FROM events e JOIN fx_rates fx ON fx.currency = e.properties->>'currency'
             WHERE e.event_type IN ('invoice_paid', 'refund') AND e.customer_id = ANY($1::text[])
               AND ($2::date - (e.occurred_at AT TIME ZONE 'UTC')::date) BETWEEN 0 AND 29`,
            [[...set], asOf.toISOString().slice(0, 10)],
          )
        ).rows[0]!.usd,
      ) / set.size;
    expect(kpis.shadow.revenuePerMember).not.toBe(0);
    expect(kpis.shadow.revenuePerMember).toBeCloseTo(await revenueOf(members), 6);
    expect(kpis.live.revenuePerMember).toBeCloseTo(await revenueOf(live), 6);
    expect(kpis.shadow.meanValue).not.toBeNull();
  });
});
