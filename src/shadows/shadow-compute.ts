import crypto from 'node:crypto';
import type { Db, Queryable } from '../data/db';
import { InvalidDefinitionError } from '../cohorts/catalog';
import { compileCohort, measuresOf } from '../cohorts/compile';
import type { CohortDefinition } from '../cohorts/definition';
import { readPath } from '../cohorts/measures-sql';
import { reachableCohorts, referenceCycles } from '../cohorts/rule-walk';
import { recordedCatalog } from '../cohorts/versions';

// A shadow's snapshot in a refresh: the proposed definition evaluated at the run's asOf over the
// same data as the live cohorts, into shadow_snapshots (which nothing publishes or delivers).

/** Which shadows a run computes: the active ones of cohorts the run publishes. Fixed once, so a retry plans the same. */
export async function planShadows(db: Db, runId: string): Promise<Array<{ shadowId: string; cohortId: string }>> {
  await db.query(
    `INSERT INTO shadow_runs (shadow_id, run_id)
     SELECT s.shadow_id, $1 FROM cohort_shadows s
     JOIN run_cohorts rc ON rc.run_id = $1 AND rc.cohort_id = s.cohort_id AND rc.scope = 'publish'
     WHERE s.status = 'active' AND NOT EXISTS (SELECT 1 FROM shadow_runs x WHERE x.run_id = $1)
     ON CONFLICT DO NOTHING`,
    [runId],
  );
  const r = await db.query<{ shadow_id: string; cohort_id: string }>(
    `SELECT r.shadow_id, s.cohort_id FROM shadow_runs r JOIN cohort_shadows s USING (shadow_id)
     WHERE r.run_id = $1 ORDER BY s.cohort_id`,
    [runId],
  );
  return r.rows.map((x) => ({ shadowId: x.shadow_id, cohortId: x.cohort_id }));
}

/** Deterministic, so a retried compute of the same (run, shadow) lands on the same snapshot. */
export const shadowSnapshotIdOf = (runId: string, shadowId: string) =>
  `shsnap_${crypto.createHash('sha256').update(`${runId}\n${shadowId}`).digest('hex').slice(0, 24)}`;

/**
 * The definitions an in_cohort of the proposal reads: the run's planned versions (what the live
 * cohorts were computed from), then the latest recorded ones for cohorts the run did not plan.
 */
async function referencedDefinitions(db: Queryable, runId: string): Promise<Map<string, CohortDefinition>> {
  const catalog = new Map([...(await recordedCatalog(db))].map(([id, v]) => [id, v.definition]));
  const planned = await db.query<{ cohort_id: string; definition: CohortDefinition }>(
    `SELECT rc.cohort_id, d.definition FROM run_cohorts rc
     JOIN cohort_definitions d ON d.cohort_id = rc.cohort_id AND d.version = rc.definition_version WHERE rc.run_id = $1`,
    [runId],
  );
  for (const x of planned.rows) catalog.set(x.cohort_id, x.definition);
  return catalog;
}

/**
 * Computes the proposal at asOf into its shadow snapshot, in one transaction; a snapshot already
 * written is kept. Refused (InvalidDefinitionError) when the catalog changed under the proposal:
 * a cohort it refers to is gone, or the reference now closes a circle.
 */
export async function computeShadowSnapshot(
  db: Db,
  input: { runId: string; shadowId: string; cohortId: string; proposed: CohortDefinition; asOf: string },
): Promise<{ snapshotId: string; size: number; contentHash: string }> {
  const snapshotId = shadowSnapshotIdOf(input.runId, input.shadowId);
  return db.transaction(async (tx) => {
    const found = await tx.query<{ size: number; content_hash: string }>(
      'SELECT size, content_hash FROM shadow_snapshots WHERE snapshot_id = $1',
      [snapshotId],
    );
    if (found.rows[0]) return { snapshotId, size: found.rows[0].size, contentHash: found.rows[0].content_hash };
    const catalog = await referencedDefinitions(tx, input.runId);
    catalog.set(input.cohortId, input.proposed);
    const reach = reachableCohorts([input.cohortId], (id) => catalog.get(id)?.rule);
    const cycles = referenceCycles([...catalog.values()]).filter((c) => c.includes(input.cohortId));
    if (reach.missing.length > 0 || cycles.length > 0)
      throw new InvalidDefinitionError([
        ...reach.missing.map(
          (id) => `shadow ${input.shadowId}: rule: in_cohort: no cohort "${id}" in the catalog any more`,
        ),
        ...cycles.map((c) => `shadow ${input.shadowId}: rule: in_cohort closes a circle: ${c.join(' → ')}`),
      ]);
    const asOf = new Date(input.asOf);
    const compiled = compileCohort(
      input.proposed,
      catalog,
      asOf,
      await readPath(tx, asOf, measuresOf(input.proposed, catalog)),
    );
    await tx.query(
      `INSERT INTO shadow_snapshots (snapshot_id, shadow_id, run_id, cohort_id, as_of, size, content_hash) VALUES ($1, $2, $3, $4, $5, 0, '')`,
      [snapshotId, input.shadowId, input.runId, input.cohortId, input.asOf],
    );
    const id = `$${compiled.params.length + 1}`;
    await tx.query(
      `INSERT INTO shadow_snapshot_chunks (snapshot_id, block, members)
       SELECT ${id}, q.customer_no >> 16, array_agg(q.customer_no ORDER BY q.customer_no) FROM (${compiled.sql}) q GROUP BY 2`,
      [...compiled.params, snapshotId],
    );
    return { snapshotId, ...(await recountShadowSnapshot(tx, snapshotId)) };
  });
}

/** Size and hash made as a live snapshot's are (run-compute.ts), so equal members give equal hashes. */
async function recountShadowSnapshot(
  tx: Queryable,
  snapshotId: string,
): Promise<{ size: number; contentHash: string }> {
  const counted = await tx.query<{ size: number; content_hash: string }>(
    `UPDATE shadow_snapshots s SET size = m.size, content_hash = m.hash
     FROM (SELECT COALESCE(sum(cardinality(members)), 0)::int AS size,
                  encode(sha256(convert_to(COALESCE(string_agg(block || ':' || array_to_string(members, ','), ';' ORDER BY block), ''), 'UTF8')), 'hex') AS hash
           FROM shadow_snapshot_chunks WHERE snapshot_id = $1) m
     WHERE s.snapshot_id = $1 RETURNING s.size, s.content_hash`,
    [snapshotId],
  );
  return { size: counted.rows[0]!.size, contentHash: counted.rows[0]!.content_hash };
}

/** An erased customer leaves every shadow snapshot too (in the erasure's transaction); returns how many held them. */
export async function eraseFromShadowSnapshots(tx: Queryable, customerNo: number): Promise<number> {
  const touched = await tx.query<{ snapshot_id: string }>(
    `UPDATE shadow_snapshot_chunks SET members = array_remove(members, $1::int)
     WHERE block = $1::int >> 16 AND $1::int = ANY (members) RETURNING snapshot_id`,
    [customerNo],
  );
  await tx.query('DELETE FROM shadow_snapshot_chunks WHERE block = $1::int >> 16 AND cardinality(members) = 0', [
    customerNo,
  ]);
  for (const { snapshot_id } of touched.rows) await recountShadowSnapshot(tx, snapshot_id);
  return touched.rowCount ?? 0;
}

/**
 * Members a shadow snapshot shares with a snapshot of the live cohort (the run's, or the published
 * one), block by block (both sorted arrays), inside Postgres.
 */
export async function sharedWithSnapshot(db: Queryable, shadowSnapshotId: string, snapshotId: string): Promise<number> {
  const r = await db.query<{ common: number }>(
    `SELECT COALESCE(sum(o.common), 0)::int AS common
     FROM shadow_snapshot_chunks x JOIN snapshot_chunks y ON y.snapshot_id = $2 AND y.block = x.block
     CROSS JOIN LATERAL (SELECT count(*) AS common FROM unnest(x.members) AS m (n) JOIN unnest(y.members) AS k (n) ON k.n = m.n) o
     WHERE x.snapshot_id = $1`,
    [shadowSnapshotId, snapshotId],
  );
  return r.rows[0]!.common;
}
