import type { Db } from '../../src/data/db';
import { snapshotIdOf } from '../../src/cohorts/run-compute';

// Snapshots and publish history written straight into the tables, as compute and publish leave
// them, so a baseline specification states its history instead of computing it.

/** A recorded definition version; `definition` is stored as given. */
export async function recordVersion(
  db: Db,
  cohortId: string,
  version: number,
  definition: Record<string, unknown>,
  by: { author: string; rationale?: string },
): Promise<void> {
  await db.query(
    `INSERT INTO cohort_definitions (cohort_id, version, content_hash, definition, tier, author, rationale, change)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      cohortId,
      version,
      `hash-${cohortId}-${version}`,
      definition,
      definition.tier ?? 'tactical',
      by.author,
      by.rationale ?? `version ${version}`,
      version === 1 ? 'create' : 'update',
    ],
  );
}

export async function registerRun(db: Db, runId: string, asOf: string): Promise<void> {
  await db.query(
    "INSERT INTO runs (run_id, cadence, tier, requested_by, rationale, as_of) VALUES ($1, 'monthly', 'all', 'rita', 'spec', $2)",
    [runId, asOf],
  );
}

/** The run's snapshot of a cohort holding exactly these customers; returns its id. */
export async function storeSnapshot(
  db: Db,
  s: { runId: string; cohortId: string; version: number; asOf: string; customerIds: string[] },
): Promise<string> {
  const snapshotId = snapshotIdOf(s.runId, s.cohortId);
  await db.query(
    `INSERT INTO cohort_snapshots (snapshot_id, run_id, cohort_id, definition_version, as_of, source_watermarks, size, content_hash)
     VALUES ($1, $2, $3, $4, $5, '{}', $6, $7)`,
    [snapshotId, s.runId, s.cohortId, s.version, s.asOf, s.customerIds.length, `members-${snapshotId}`],
  );
  await db.query(
    `INSERT INTO snapshot_chunks (snapshot_id, block, members)
     SELECT $1, customer_no >> 16, array_agg(customer_no ORDER BY customer_no) FROM customers WHERE customer_id = ANY($2::text[]) GROUP BY 2`,
    [snapshotId, s.customerIds],
  );
  return snapshotId;
}

/** Publishes the snapshot as the cohort's next version and moves its current pointer, as publishSnapshots does. */
export async function publish(db: Db, snapshotId: string, approvedBy = 'alex'): Promise<void> {
  await db.query(
    `INSERT INTO published_versions (cohort_id, version, snapshot_id, previous_snapshot_id, run_id, approved_by)
     SELECT s.cohort_id, COALESCE((SELECT max(version) FROM published_versions WHERE cohort_id = s.cohort_id), 0) + 1, s.snapshot_id,
            (SELECT snapshot_id FROM cohort_current WHERE cohort_id = s.cohort_id), s.run_id, $2
     FROM cohort_snapshots s WHERE s.snapshot_id = $1`,
    [snapshotId, approvedBy],
  );
  await db.query(
    `INSERT INTO cohort_current (cohort_id, snapshot_id, run_id, published_at)
     SELECT cohort_id, snapshot_id, run_id, now() FROM cohort_snapshots WHERE snapshot_id = $1
     ON CONFLICT (cohort_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, run_id = EXCLUDED.run_id, published_at = EXCLUDED.published_at`,
    [snapshotId],
  );
}

/** Customer ids prefix + 001 … prefix + n, zero-padded to three digits. */
export const customerIds = (prefix: string, from: number, to: number): string[] =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${String(from + i).padStart(3, '0')}`);
