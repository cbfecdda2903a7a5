import path from 'node:path';
import { loadCatalog } from '../src/cohorts/catalog';
import {
  computeSnapshot,
  dropMeasures,
  knownEventTypes,
  materialiseMeasures,
  planRun,
} from '../src/cohorts/run-compute';
import type { Db } from '../src/data/db';
import { ingestSources } from '../src/ingest/ingest-sources';
import { createLogger } from '../src/log';
import { inDependencyOrder } from '../src/workflows/compute-order';
import { benchDataFromArgs } from './compute-data';

const CATALOG = path.resolve(__dirname, '../catalog');
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await work();
  return [result, performance.now() - t0];
}

/** Plans, materialises and computes every cohort as a run does (dependency order, one at a time). */
async function computeCatalog(db: Db, runId: string, asOf: string) {
  await db.query(
    "INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ($1, 'adhoc', 'all', 'bench', 'bench')",
    [runId],
  );
  const [planned, planMs] = await timed(() =>
    planRun(db, CATALOG, { runId, tier: 'all', author: 'bench', rationale: 'compute benchmark' }),
  );
  const [built, measuresMs] = await timed(() => materialiseMeasures(db, { runId, asOf }));
  // The workflow's own ordering, one at a time: what each cohort costs, not how they overlap.
  const [computed, cohortsMs] = await timed(() =>
    inDependencyOrder(planned, 1, (p) =>
      computeSnapshot(db, { runId, cohortId: p.cohortId, definitionVersion: p.definitionVersion, asOf }),
    ),
  );
  const sizes = new Map(planned.map((p, i) => [p.cohortId, computed[i]!.size]));
  await dropMeasures(db, { runId });
  return { planned, built, sizes, planMs, measuresMs, cohortsMs };
}

/**
 * Times the whole default catalog over generated data (one measures pass over the derived state, then
 * one statement per cohort), one sequential scan of the raw events as the machine's limit, and
 * each cohort recomputed on its own after one new day of data is ingested.
 */
export async function benchCompute(args: string[]): Promise<void> {
  const data = await benchDataFromArgs(args);
  const { scale } = data;
  const { db } = data;
  try {
    const one = async <T>(sql: string) => (await db.query<T & Record<string, unknown>>(sql)).rows[0]!;
    const counts = await one<{ events: number; state: string; customers: number; pg: string; workers: string }>(
      `SELECT (SELECT count(*) FROM events) AS events, pg_size_pretty(pg_total_relation_size('customer_state')) AS state, (SELECT count(*) FROM customers) AS customers,
              current_setting('server_version') AS pg, current_setting('max_parallel_workers_per_gather') AS workers`,
    );
    // Everything in the template was ingested by then; its data ends HELD_DAYS before (held back).
    const asOf = data.loadedAt.toISOString();
    const catalog = await loadCatalog(CATALOG, { eventTypes: await knownEventTypes(db) });

    await db.query('SELECT count(*) FROM events'); // warm the cache the same way for both figures
    const [, scanMs] = await timed(() => db.query('SELECT count(*) FROM events'));
    const run = await computeCatalog(db, 'bench-catalog', asOf);
    const catalogMs = run.planMs + run.measuresMs + run.cohortsMs;

    const disk = await one<{ bytes: number; members: number; snapshots: number }>(
      `SELECT pg_total_relation_size('snapshot_chunks') AS bytes, (SELECT COALESCE(sum(cardinality(members)), 0) FROM snapshot_chunks) AS members, (SELECT count(*) FROM cohort_snapshots) AS snapshots`,
    );
    const bytesPerMember = disk.bytes / Math.max(1, disk.members);
    const meanShare = disk.members / Math.max(1, disk.snapshots) / Math.max(1, counts.customers);
    const yearly = 1_000_000 * meanShare * 50 * 12 * bytesPerMember;

    // One new day arrives; then each cohort is recomputed on its own (no shared measures pass).
    const [day, dayMs] = await timed(() =>
      ingestSources({ db, log: createLogger('warn') }, { runId: 'bench-new-day', sourceDir: data.newDayDir }),
    );
    const afterDay = new Date().toISOString();
    await db.query(
      "INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ('bench-single', 'adhoc', 'all', 'bench', 'bench')",
    );
    const planned = await planRun(db, CATALOG, {
      runId: 'bench-single',
      tier: 'all',
      author: 'bench',
      rationale: 'single recompute',
    });
    const singles: Array<[string, number]> = [];
    for (const p of planned) {
      const [, ms] = await timed(() =>
        computeSnapshot(db, {
          runId: 'bench-single',
          cohortId: p.cohortId,
          definitionVersion: p.definitionVersion,
          asOf: afterDay,
        }),
      );
      singles.push([p.cohortId, ms]);
    }
    singles.sort((a, b) => a[1] - b[1]);

    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const lines = [
      `compute benchmark — ${n(scale.customers)} customers × ${scale.days} days (seed ${scale.seed}), PostgreSQL ${counts.pg}, max_parallel_workers_per_gather ${counts.workers}`,
      `  data          ${n(counts.events)} events, ${n(counts.customers)} customers, derived state ${counts.state}`,
      `  raw scan      ${seconds(scanMs)}  SELECT count(*) FROM events (the machine's limit)`,
      `  catalog       ${seconds(catalogMs)}  for ${catalog.length} cohorts = plan ${seconds(run.planMs)} + measures pass ${seconds(run.measuresMs)} (${run.built.measures} measures × ${n(run.built.rows)} customers) + ${run.planned.length} cohort statements ${seconds(run.cohortsMs)}`,
      `  ratio         ${(catalogMs / scanMs).toFixed(2)}× one raw-events scan (target ≤ 1×; target ≤ 5 s)`,
      `  sizes         ${[...run.sizes].map(([id, size]) => `${id} ${n(size)}`).join(', ')}`,
      `  new day       ${n(day.rowsRead)} rows ingested in ${seconds(dayMs)}; then each cohort recomputed alone: median ${seconds(singles[Math.floor(singles.length / 2)]![1])}, slowest ${singles.at(-1)![0]} ${seconds(singles.at(-1)![1])}, fastest ${singles[0]![0]} ${seconds(singles[0]![1])} (target ≤ 2 s)`,
      `  membership    ${bytesPerMember.toFixed(2)} bytes per member on disk (${n(disk.members)} members in ${disk.snapshots} snapshots); at 1M customers × 50 cohorts × 12 refreshes a year with this mean cohort share (${(meanShare * 100).toFixed(1)}%): ${(yearly / 1e9).toFixed(2)} GB a year`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await data.drop();
  }
}
