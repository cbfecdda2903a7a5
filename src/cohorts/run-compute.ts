import crypto from 'node:crypto';
import type { Db, Queryable } from '../data/db';
import { InvalidDefinitionError, loadCatalog } from './catalog';
import { dependencies } from './catalog-rules';
import { compileCohort, compileRunCohorts, measuresOf, runMeasures, type CompiledCohort } from './compile';
import type { CohortDefinition, CohortTier } from './definition';
import { keepFeatures } from './customer-state';
import { featuresOf } from './features';
import { modelKindsOf } from './measures';
import { rankArrays, readPath } from './measures-sql';
import type { ModelKind } from './score-measures';
import { currentModels, pinRunModels } from '../scores/governance/model-versions';
import { reachableCohorts } from './rule-walk';
import { missingFromCatalog, recordDefinition, recordDeletion } from './versions';

// A run's compute, as library functions the activities wrap: plan (versions and order), one
// pass that materialises every measure, one statement per cohort over it, then clean up.

export interface PlannedCohort {
  cohortId: string;
  definitionVersion: number;
  /** Cohorts of the same run this one refers to: computed before it. */
  dependsOn: string[];
}

/** The event types seen in the data, plus those of the built-in kinds (catalog-rules.ts). */
export async function knownEventTypes(db: Queryable): Promise<Set<string>> {
  return new Set(
    (await db.query<{ event_type: string }>('SELECT event_type FROM event_types')).rows.map((r) => r.event_type),
  );
}

/**
 * Validates the catalog, records a version for every changed definition, refuses a strategic
 * cohort that vanished from the folder without a recorded deletion, and fixes the run's plan
 * (run_cohorts) once: a retry returns the same plan.
 */
/** A cohort left out of a run because a score it reads has no current model version yet. */
export interface WaitingForModels {
  cohortId: string;
  kinds: ModelKind[];
}

export async function planRun(
  db: Db,
  catalogDir: string,
  input: { runId: string; tier: CohortTier | 'all'; author: string; rationale: string },
  onWaiting?: (waiting: WaitingForModels[]) => void,
): Promise<PlannedCohort[]> {
  const fixed = await plannedCohorts(db, input.runId);
  if (fixed.length > 0) return fixed;
  const catalog = await loadCatalog(catalogDir, { eventTypes: await knownEventTypes(db) });
  const missing = await missingFromCatalog(
    db,
    catalog.map((e) => e.definition.id),
  );
  const strategic = missing.filter((m) => m.tier === 'strategic');
  if (strategic.length > 0) {
    throw new InvalidDefinitionError(
      strategic.map(
        (m) =>
          `${catalogDir}: strategic cohort "${m.cohortId}" is missing from the catalog; a strategic cohort is deleted only with a reason: cohortflow cohorts delete ${m.cohortId} --reason "…"`,
      ),
    );
  }
  for (const m of missing)
    await recordDeletion(db, m.cohortId, {
      author: input.author,
      reason: `file removed from the catalog; noticed by run ${input.runId} (${input.rationale})`,
    });

  const versions = new Map<string, number>();
  for (const entry of catalog) {
    const { version } = await recordDefinition(db, entry, {
      author: `${input.author} (file by ${entry.definition.owner}, recorded by run ${input.runId})`,
      rationale: input.rationale,
    });
    versions.set(entry.definition.id, version);
  }
  const definitions = new Map(catalog.map((e) => [e.definition.id, e.definition]));
  const active = catalog
    .filter((e) => e.definition.status === 'active' && (input.tier === 'all' || e.definition.tier === input.tier))
    .map((e) => e.definition.id);
  // A cohort reading a score (itself or through in_cohort) is computed only once a version of
  // that score's model is current: until then it waits, and the run says so; the rest go on.
  const current = await currentModels(db);
  const kindsOf = (id: string) => modelKindsOf(measuresOf(definitions.get(id)!, definitions));
  const waiting = active
    .map((id) => ({ cohortId: id, kinds: kindsOf(id).filter((k) => !current.has(k)) }))
    .filter((w) => w.kinds.length > 0);
  const inScope = active.filter((id) => !waiting.some((w) => w.cohortId === id));
  if (waiting.length > 0) onWaiting?.(waiting);
  // Cohorts outside the scope that an in-scope one refers to are read (inlined), not published.
  const referenced = reachableCohorts(inScope, (id) => definitions.get(id)?.rule).reached;
  const deps = dependencies(definitions, inScope);
  await db.transaction(async (tx) => {
    await pinRunModels(tx, input.runId, [...new Set(inScope.flatMap(kindsOf))]);
    for (const id of inScope) {
      await tx.query(
        'INSERT INTO run_cohorts (run_id, cohort_id, definition_version, scope, depends_on) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
        [input.runId, id, versions.get(id), 'publish', deps.get(id)],
      );
    }
    for (const id of referenced) {
      await tx.query(
        'INSERT INTO run_cohorts (run_id, cohort_id, definition_version, scope) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
        [input.runId, id, versions.get(id), 'reference'],
      );
    }
  });
  return plannedCohorts(db, input.runId);
}

async function plannedCohorts(db: Queryable, runId: string): Promise<PlannedCohort[]> {
  const r = await db.query<{ cohort_id: string; definition_version: number; depends_on: string[] }>(
    `SELECT cohort_id, definition_version, depends_on FROM run_cohorts WHERE run_id = $1 AND scope = 'publish' ORDER BY cohort_id`,
    [runId],
  );
  return r.rows.map((x) => ({
    cohortId: x.cohort_id,
    definitionVersion: x.definition_version,
    dependsOn: x.depends_on,
  }));
}

type RunDefinitions = Map<string, { definition: CohortDefinition; version: number; scope: 'publish' | 'reference' }>;

/** The planned definitions of a run (or only those of `ids`), by cohort id, with their scope. */
async function runDefinitions(db: Queryable, runId: string, ids?: string[]): Promise<RunDefinitions> {
  const r = await db.query<{
    cohort_id: string;
    definition: CohortDefinition;
    definition_version: number;
    scope: 'publish' | 'reference';
  }>(
    `SELECT rc.cohort_id, d.definition, rc.definition_version, rc.scope FROM run_cohorts rc
     JOIN cohort_definitions d ON d.cohort_id = rc.cohort_id AND d.version = rc.definition_version
     WHERE rc.run_id = $1 AND ($2::text[] IS NULL OR rc.cohort_id = ANY($2::text[]))`,
    [runId, ids ?? null],
  );
  return new Map(
    r.rows.map((x) => [x.cohort_id, { definition: x.definition, version: x.definition_version, scope: x.scope }]),
  );
}

/** A cohort's planned definition and those of every cohort it reaches through in_cohort: not the whole run's. */
export async function reachableDefinitions(db: Queryable, runId: string, cohortId: string): Promise<RunDefinitions> {
  const found: RunDefinitions = new Map();
  const asked = new Set<string>();
  // A level of references at a time: each round loads the cohorts the walk could not follow yet.
  for (let wanted = [cohortId]; wanted.length > 0;) {
    wanted.forEach((id) => asked.add(id));
    (await runDefinitions(db, runId, wanted)).forEach((d, id) => found.set(id, d));
    wanted = reachableCohorts([cohortId], (id) => found.get(id)?.definition.rule).missing.filter(
      (id) => !asked.has(id),
    );
  }
  return found;
}

export const measuresTableOf = (runId: string) =>
  `measures_${crypto.createHash('sha256').update(runId).digest('hex').slice(0, 16)}`;

/**
 * Every planned cohort of the run evaluated in one pass, into a table of one row per customer
 * existing at asOf with one membership flag per cohort: over the derived customer state when it
 * holds what asOf sees (the features the catalog reads are kept there first: built from the
 * events once, when a definition starts reading one), else over the raw rows. Each cohort's
 * compute then only collects its flag. Rebuilt from scratch on a retry, so a half-built table
 * never counts. UNLOGGED: a crash empties it, and computeSnapshot then builds it again.
 */
export async function materialiseMeasures(
  db: Db,
  input: { runId: string; asOf: string },
): Promise<{ table: string; rows: number; measures: number; readsFrom?: 'state' | 'events' }> {
  const table = measuresTableOf(input.runId);
  if (await measuresTableReady(db, table)) {
    const done = await db.query<{ rows: number; measures: number }>(
      'SELECT rows, measures FROM measure_tables WHERE table_name = $1',
      [table],
    );
    return { table, ...done.rows[0]! };
  }

  const definitions = await runDefinitions(db, input.runId);
  const catalog = new Map([...definitions].map(([id, d]) => [id, d.definition]));
  const published = [...definitions]
    .filter(([, d]) => d.scope === 'publish')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    // Column names from the cohort's place in the plan, never from its id.
    .map(([id, d], i) => ({ id, column: `c_${i}`, definition: d.definition }));
  const set = runMeasures(published, catalog);
  await keepFeatures(db, featuresOf(set));
  const measures = set.events.size + set.derived.size;
  const asOf = new Date(input.asOf);

  await db.query(`DROP TABLE IF EXISTS ${table}`);
  await db.query(
    'INSERT INTO measure_tables (table_name, run_id, as_of) VALUES ($1, $2, $3) ON CONFLICT (table_name) DO UPDATE SET built_at = NULL',
    [table, input.runId, input.asOf],
  );
  await db.query(
    `CREATE UNLOGGED TABLE ${table} (customer_id text, customer_no integer${published.map((c) => `, ${c.column} boolean`).join('')})`,
  );
  const { rows, readsFrom } = await db.transaction(async (tx) => {
    // One snapshot for the choice of read path and every read: parts run in transactions of their
    // own that import it.
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const path = await readPath(tx, asOf, set);
    const insert = async (q: Queryable, options: Parameters<typeof compileRunCohorts>[4]) => {
      const compiled = compileRunCohorts(published, catalog, asOf, path, {
        ...options,
        scores: { runId: input.runId },
      });
      return (await q.query(`INSERT INTO ${table} ${compiled.sql}`, compiled.params)).rowCount ?? 0;
    };
    if (path.from !== 'state') return { rows: await insert(tx, {}), readsFrom: path.from };
    // Every customer's row is read on its own: the customers are split by number into parts that
    // run side by side, one connection each, as a sharded database would run them per shard.
    const snapshot = (await tx.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    if (!/^[0-9A-F-]+$/i.test(snapshot)) throw new Error(`unexpected snapshot id ${snapshot}`);
    const ranks = await rankArrays(tx, set, path, asOf);
    const of = await partsOf(tx);
    const counts = await Promise.all(
      Array.from({ length: of }, (_, index) =>
        db.transaction(async (part) => {
          await part.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
          await part.query(`SET TRANSACTION SNAPSHOT '${snapshot}'`);
          await part.query(`SET LOCAL work_mem = '256MB'`);
          return insert(part, { part: { of, index }, ranks });
        }),
      ),
    );
    return { rows: counts.reduce((a, b) => a + b, 0), readsFrom: path.from };
  });
  await db.query(`ANALYZE ${table}`);
  await db.query(
    'UPDATE measure_tables SET rows = $2, measures = $3, cohort_columns = $4, built_at = now() WHERE table_name = $1',
    [table, rows, measures, JSON.stringify(Object.fromEntries(published.map((c) => [c.id, c.column])))],
  );
  return { table, rows, measures, readsFrom };
}

/** How many statements read the state side by side: as many processes as Postgres would give one query. */
async function partsOf(db: Queryable): Promise<number> {
  const r = await db.query<{ workers: string }>("SELECT current_setting('max_parallel_workers_per_gather') AS workers");
  return Math.min(8, Math.max(1, Number(r.rows[0]!.workers) + 1));
}

/** Built and still holding its rows: an unlogged table comes back empty after a crash. */
async function measuresTableReady(db: Queryable, table: string): Promise<boolean> {
  const r = await db.query<{ ready: boolean }>(
    `SELECT (m.rows = 0 OR pg_relation_size(to_regclass(m.table_name)) > 0) AS ready
     FROM measure_tables m WHERE m.table_name = $1 AND m.built_at IS NOT NULL AND to_regclass(m.table_name) IS NOT NULL`,
    [table],
  );
  return r.rows[0]?.ready ?? false;
}

export async function dropMeasures(db: Db, input: { runId: string }): Promise<void> {
  const table = measuresTableOf(input.runId);
  await db.query(`DROP TABLE IF EXISTS ${table}`);
  await db.query('DELETE FROM measure_tables WHERE table_name = $1', [table]);
}

/** Deterministic, so a retry of the same (run, cohort) lands on the same snapshot. */
export const snapshotIdOf = (runId: string, cohortId: string) =>
  `snap_${crypto.createHash('sha256').update(`${runId}\n${cohortId}`).digest('hex').slice(0, 24)}`;

export interface ComputedSnapshot {
  snapshotId: string;
  definitionVersion: number;
  tier: CohortTier;
  size: number;
  contentHash: string;
}

/**
 * Evaluates one cohort of the run into an immutable snapshot, in one transaction: over the run's
 * measures table when it was built, else self-contained (derived state or raw rows). Idempotent per (run, cohort).
 */
export async function computeSnapshot(
  db: Db,
  input: { runId: string; cohortId: string; definitionVersion: number; asOf: string },
): Promise<ComputedSnapshot> {
  const snapshotId = snapshotIdOf(input.runId, input.cohortId);
  return db.transaction(async (tx) => {
    // One snapshot for the choice of read path and the read itself.
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    if (!(await tx.query('SELECT 1 FROM cohort_snapshots WHERE snapshot_id = $1', [snapshotId])).rowCount)
      await computeInto(tx, snapshotId, input);
    const r = await tx.query<{ size: number; content_hash: string; definition_version: number; tier: CohortTier }>(
      `SELECT s.size, s.content_hash, s.definition_version, d.tier FROM cohort_snapshots s
       JOIN cohort_definitions d ON d.cohort_id = s.cohort_id AND d.version = s.definition_version WHERE s.snapshot_id = $1`,
      [snapshotId],
    );
    const s = r.rows[0]!;
    return {
      snapshotId,
      definitionVersion: s.definition_version,
      tier: s.tier,
      size: s.size,
      contentHash: s.content_hash,
    };
  });
}

async function computeInto(
  tx: Queryable,
  snapshotId: string,
  input: { runId: string; cohortId: string; definitionVersion: number; asOf: string },
): Promise<void> {
  const asOf = new Date(input.asOf);
  const definitions = await reachableDefinitions(tx, input.runId, input.cohortId);
  const own =
    definitions.get(input.cohortId)?.definition ?? (await definitionAt(tx, input.cohortId, input.definitionVersion));
  const table = measuresTableOf(input.runId);
  const column = (await measuresTableReady(tx, table))
    ? (
        await tx.query<{ column: string | null }>(
          'SELECT cohort_columns->>$2 AS column FROM measure_tables WHERE table_name = $1',
          [table, input.cohortId],
        )
      ).rows[0]?.column
    : undefined;
  const catalog = new Map([...definitions].map(([id, d]) => [id, d.definition]));
  let compiled: CompiledCohort;
  if (column) {
    // The flag the run's one pass set (c_<n>: from the plan, never from user text).
    if (!/^c_\d+$/.test(column)) throw new Error(`not a cohort column: ${column}`);
    compiled = { sql: `SELECT customer_id, customer_no FROM ${table} WHERE ${column}`, params: [] };
  } else {
    compiled = compileCohort(own, catalog, asOf, await readPath(tx, asOf, measuresOf(own, catalog)), undefined, {
      runId: input.runId,
    });
  }
  // Lineage: the model versions whose scores the rule read, as the run pinned them.
  const kinds = modelKindsOf(measuresOf(own, catalog));
  await tx.query(
    `INSERT INTO cohort_snapshots (snapshot_id, run_id, cohort_id, definition_version, as_of, source_watermarks, size, content_hash, model_versions)
     SELECT $1, $2, $3, $4, $5, COALESCE((SELECT jsonb_object_agg(source, watermark) FROM source_watermarks), '{}'), 0, '',
            COALESCE((SELECT jsonb_object_agg(kind, model_id) FROM run_models WHERE run_id = $2 AND kind = ANY($6::text[])), '{}')`,
    [snapshotId, input.runId, input.cohortId, input.definitionVersion, input.asOf, kinds],
  );
  await writeMembers(tx, snapshotId, compiled);
}

async function definitionAt(db: Queryable, cohortId: string, version: number): Promise<CohortDefinition> {
  const r = await db.query<{ definition: CohortDefinition }>(
    'SELECT definition FROM cohort_definitions WHERE cohort_id = $1 AND version = $2',
    [cohortId, version],
  );
  if (!r.rows[0]) throw new InvalidDefinitionError([`cohort ${cohortId} has no definition version ${version}`]);
  return r.rows[0].definition;
}

/**
 * Members as sorted arrays of customer numbers, one row per block of 65,536; size and content
 * hash from those rows. The hash covers the member numbers in order: the same members, the same hash.
 */
export async function writeMembers(tx: Queryable, snapshotId: string, compiled: CompiledCohort): Promise<void> {
  const id = `$${compiled.params.length + 1}`;
  await tx.query(
    `INSERT INTO snapshot_chunks (snapshot_id, block, members)
     SELECT ${id}, q.customer_no >> 16, array_agg(q.customer_no ORDER BY q.customer_no) FROM (${compiled.sql}) q GROUP BY 2`,
    [...compiled.params, snapshotId],
  );
  await recountSnapshot(tx, snapshotId);
}

/** Sets a snapshot's size and content hash from its chunks; also after an erasure rewrote them. */
export async function recountSnapshot(tx: Queryable, snapshotId: string): Promise<void> {
  await tx.query(
    `UPDATE cohort_snapshots s SET size = m.size, content_hash = m.hash
     FROM (SELECT COALESCE(sum(cardinality(members)), 0)::int AS size,
                  encode(sha256(convert_to(COALESCE(string_agg(block || ':' || array_to_string(members, ','), ';' ORDER BY block), ''), 'UTF8')), 'hex') AS hash
           FROM snapshot_chunks WHERE snapshot_id = $1) m
     WHERE s.snapshot_id = $1`,
    [snapshotId],
  );
}
