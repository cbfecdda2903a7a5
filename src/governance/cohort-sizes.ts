import type { Queryable } from '../data/db';

// A cohort's size over every version it published, with how membership moved at each: the
// series behind the dashboard's size charts. Counts only; no member leaves Postgres.

export interface SizePoint {
  version: number;
  publishedAt: string;
  runId: string;
  /** The moment the published snapshot was computed for; null for a withdrawal. */
  asOf: string | null;
  size: number;
  adds: number;
  removes: number;
  /** This version put an earlier one back (docs/rollback.md). */
  rollback: boolean;
}

/** Every published version, oldest first. Adds and removes use migration 006's shared-member count. */
export async function cohortSizes(db: Queryable, cohortId: string): Promise<SizePoint[]> {
  const r = await db.query<{
    version: number;
    published_at: Date;
    run_id: string;
    as_of: Date | null;
    size: number;
    adds: number;
    removes: number;
    rollback: boolean;
  }>(
    `SELECT pv.version, pv.published_at, pv.run_id, s.as_of, COALESCE(s.size, 0) AS size,
            COALESCE(s.size, 0) - sh.shared AS adds, COALESCE(p.size, 0) - sh.shared AS removes,
            pv.reason IS NOT NULL AS rollback
     FROM published_versions pv
     LEFT JOIN cohort_snapshots s ON s.snapshot_id = pv.snapshot_id
     LEFT JOIN cohort_snapshots p ON p.snapshot_id = pv.previous_snapshot_id
     CROSS JOIN LATERAL (SELECT cohortflow_shared_members(pv.snapshot_id, pv.previous_snapshot_id) AS shared) sh
     WHERE pv.cohort_id = $1 ORDER BY pv.version`,
    [cohortId],
  );
  return r.rows.map((x) => ({
    version: x.version,
    publishedAt: x.published_at.toISOString(),
    runId: x.run_id,
    asOf: x.as_of?.toISOString() ?? null,
    size: x.size,
    adds: x.adds,
    removes: x.removes,
    rollback: x.rollback,
  }));
}

/** A sample of the members of the cohort's current published snapshot, by customer id. */
export async function publishedMembers(
  db: Queryable,
  cohortId: string,
  sample: number,
): Promise<{ version: number; snapshotId: string; size: number; sample: string[] } | undefined> {
  const current = await db.query<{ version: number; snapshot_id: string; size: number }>(
    `SELECT pv.version, s.snapshot_id, s.size FROM cohort_current c
     JOIN cohort_snapshots s ON s.snapshot_id = c.snapshot_id
     JOIN published_versions pv ON pv.cohort_id = c.cohort_id AND pv.snapshot_id = c.snapshot_id
     WHERE c.cohort_id = $1 ORDER BY pv.version DESC LIMIT 1`,
    [cohortId],
  );
  const row = current.rows[0];
  if (!row) return undefined;
  // The lowest customer numbers (each block's array is sorted): the same sample every time,
  // sliced from the head of each block instead of unnesting every member.
  const members = await db.query<{ customer_id: string }>(
    `SELECT c.customer_id FROM (
       SELECT n.customer_no FROM (SELECT members[1:$2] AS head FROM snapshot_chunks WHERE snapshot_id = $1 ORDER BY block) k
       CROSS JOIN LATERAL unnest(k.head) AS n (customer_no) LIMIT $2) m
     JOIN customers c ON c.customer_no = m.customer_no ORDER BY c.customer_id`,
    [row.snapshot_id, sample],
  );
  return {
    version: row.version,
    snapshotId: row.snapshot_id,
    size: row.size,
    sample: members.rows.map((m) => m.customer_id),
  };
}

export interface CurrentVersion {
  cohortId: string;
  version: number;
  /** null: the current version withdrew the cohort (a rollback of its first publish). */
  size: number | null;
  publishedAt: string;
  runId: string;
}

/** Each cohort's latest published version: what the catalog page shows beside each definition. */
export async function currentVersions(db: Queryable): Promise<CurrentVersion[]> {
  const r = await db.query<{
    cohort_id: string;
    version: number;
    size: number | null;
    published_at: Date;
    run_id: string;
  }>(
    `SELECT DISTINCT ON (pv.cohort_id) pv.cohort_id, pv.version, s.size, pv.published_at, pv.run_id
     FROM published_versions pv LEFT JOIN cohort_snapshots s ON s.snapshot_id = pv.snapshot_id
     ORDER BY pv.cohort_id, pv.version DESC`,
  );
  return r.rows.map((x) => ({
    cohortId: x.cohort_id,
    version: x.version,
    size: x.size,
    publishedAt: x.published_at.toISOString(),
    runId: x.run_id,
  }));
}
