import path from 'node:path';
import { testRunAgainstBaselines } from '../src/baseline/baseline-run';
import { workflowReport } from '../src/baseline/cohort-report';
import { profilesOf } from '../src/baseline/profile-store';
import { computeSnapshot, dropMeasures, materialiseMeasures, planRun } from '../src/cohorts/run-compute';
import type { Db } from '../src/data/db';
import { inDependencyOrder } from '../src/workflows/compute-order';
import { benchDataFromArgs } from './compute-data';

const CATALOG = path.resolve(__dirname, '../catalog');
const DAY_MS = 86_400_000;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await work();
  return [result, performance.now() - t0];
}

/** The default catalog computed as a run does; returns its snapshots. */
async function computeRun(
  db: Db,
  runId: string,
  asOf: string,
): Promise<Array<{ cohortId: string; snapshotId: string; asOf: Date }>> {
  await db.query(
    "INSERT INTO runs (run_id, cadence, tier, requested_by, rationale, as_of) VALUES ($1, 'adhoc', 'all', 'bench', 'bench', $2)",
    [runId, asOf],
  );
  const planned = await planRun(db, CATALOG, { runId, tier: 'all', author: 'bench', rationale: 'baseline benchmark' });
  await materialiseMeasures(db, { runId, asOf });
  const computed = await inDependencyOrder(planned, 1, (p) =>
    computeSnapshot(db, { runId, cohortId: p.cohortId, definitionVersion: p.definitionVersion, asOf }),
  );
  await dropMeasures(db, { runId });
  return planned.map((p, i) => ({ cohortId: p.cohortId, snapshotId: computed[i]!.snapshotId, asOf: new Date(asOf) }));
}

/** Publishes every snapshot of the run, as publishSnapshots does (without its activity context). */
async function publishRun(db: Db, runId: string): Promise<void> {
  await db.query(
    `INSERT INTO published_versions (cohort_id, version, snapshot_id, previous_snapshot_id, run_id, approved_by)
     SELECT s.cohort_id, COALESCE((SELECT max(version) FROM published_versions v WHERE v.cohort_id = s.cohort_id), 0) + 1, s.snapshot_id, c.snapshot_id, s.run_id, 'bench'
     FROM cohort_snapshots s LEFT JOIN cohort_current c ON c.cohort_id = s.cohort_id WHERE s.run_id = $1`,
    [runId],
  );
  await db.query(
    `INSERT INTO cohort_current (cohort_id, snapshot_id, run_id, published_at) SELECT cohort_id, snapshot_id, run_id, now() FROM cohort_snapshots WHERE run_id = $1
     ON CONFLICT (cohort_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, run_id = EXCLUDED.run_id, published_at = EXCLUDED.published_at`,
    [runId],
  );
}

/**
 * The baseline tests of the whole default catalog over generated data: a run 30 days before the
 * data ends is published, then a run at the end is tested against it. Times the lazy profiles of
 * the published snapshots (once per snapshot, ever) apart from the tests themselves.
 */
export async function benchBaseline(args: string[]): Promise<void> {
  // Two full runs and a back-dating of every row: 20k customers unless told otherwise.
  const data = await benchDataFromArgs(args, { customers: { type: 'string', default: '20000' } });
  const { scale } = data;
  const { db } = data;
  try {
    // The template was ingested in one go, so at an earlier asOf nobody existed yet. Make the
    // copy look as if it had been ingested as the data happened, as a live installation's is.
    const [, backdateMs] = await timed(async () => {
      await db.query('UPDATE events SET ingested_at = occurred_at WHERE ingested_at > occurred_at');
      await db.query('UPDATE crm_history SET ingested_at = updated_at WHERE ingested_at > updated_at');
      await db.query(`UPDATE customers c SET first_seen_at = f.first
        FROM (SELECT customer_id, min(t) AS first FROM (SELECT customer_id, occurred_at AS t FROM events UNION ALL SELECT customer_id, updated_at FROM crm_history) x GROUP BY 1) f
        WHERE f.customer_id = c.customer_id AND f.first < c.first_seen_at`);
      await db.query('ANALYZE');
    });
    process.stderr.write(`bench: back-dated ingestion times to event times in ${seconds(backdateMs)}\n`);
    const asOf = data.loadedAt.toISOString();
    const published = await computeRun(
      db,
      'bench-published',
      new Date(data.loadedAt.getTime() - 30 * DAY_MS).toISOString(),
    );
    await publishRun(db, 'bench-published');
    const fresh = await computeRun(db, 'bench-new', asOf);

    const [, lazyMs] = await timed(() =>
      profilesOf(
        db,
        published.map((s) => ({ snapshotId: s.snapshotId, asOf: s.asOf })),
      ),
    );
    const [reports, testMs] = await timed(() =>
      testRunAgainstBaselines(db, { runId: 'bench-new', snapshotIds: fresh.map((s) => s.snapshotId) }),
    );
    const [, retryMs] = await timed(() =>
      testRunAgainstBaselines(db, { runId: 'bench-new', snapshotIds: fresh.map((s) => s.snapshotId) }),
    );
    const members = (
      await db.query<{ n: number }>(
        "SELECT COALESCE(sum(size), 0)::int AS n FROM cohort_snapshots WHERE run_id IN ('bench-published', 'bench-new')",
      )
    ).rows[0]!.n;

    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const verdicts = reports.map(
      (r) =>
        `${r.cohortId} ${r.verdict}${r.checks
          .filter((c) => c.verdict !== 'pass')
          .map((c) => ` ${c.name}${c.subject ? `:${c.subject}` : ''}`)
          .join(',')}`,
    );
    process.stdout.write(
      `${[
        `baseline benchmark — ${n(scale.customers)} customers × ${scale.days} days (seed ${scale.seed}), ${fresh.length} cohorts, ${n(members)} members in the two runs' snapshots`,
        `  published profiles  ${seconds(lazyMs)}  computed lazily, once per snapshot ever (one measures pass for their asOf)`,
        `  baseline tests      ${seconds(testMs)}  testAgainstBaselines for the new run: its profiles (one measures pass), overlaps, checks, stored reports`,
        `  retry               ${seconds(retryMs)}  the same call again: the stored reports`,
        `  workflow payload    ${n(JSON.stringify(reports.map(workflowReport)).length)} bytes of JSON returned to the workflow (verdicts and the checks that did not pass)`,
        `  verdicts            ${verdicts.join('; ')}`,
      ].join('\n')}\n`,
    );
  } finally {
    await data.drop();
  }
}
