import type { Queryable } from '../data/db';

// The statements publish and rollback share over published_versions (every version a cohort
// ever published, numbered per cohort) and cohort_current (the one pointer readers follow).
// Callers hold lockPublishing() in the same transaction, so versions and pointers move together.

/** One publish or rollback at a time: the next version number and the pointer are read and moved under it. */
export async function lockPublishing(tx: Queryable): Promise<void> {
  await tx.query('LOCK TABLE cohort_current IN SHARE ROW EXCLUSIVE MODE');
}

export interface WrittenVersion {
  version: number;
  snapshotId: string | null;
  restoresVersion: number | null;
}

/** The version `runId` (a refresh run or a rollback id) wrote for the cohort: the idempotency check. */
export async function versionWrittenBy(tx: Queryable, runId: string, cohortId: string): Promise<WrittenVersion | null> {
  const r = await tx.query<{ version: number; snapshot_id: string | null; restores_version: number | null }>(
    'SELECT version, snapshot_id, restores_version FROM published_versions WHERE run_id = $1 AND cohort_id = $2',
    [runId, cohortId],
  );
  const row = r.rows[0];
  return row ? { version: row.version, snapshotId: row.snapshot_id, restoresVersion: row.restores_version } : null;
}

/**
 * Writes the cohort's next version, replacing whatever cohort_current points at now; a null
 * snapshot is a withdrawal (a first publish rolled back). Returns the version number.
 */
export async function insertVersion(
  tx: Queryable,
  v: {
    cohortId: string;
    snapshotId: string | null;
    runId: string;
    approvedBy: string;
    restoresVersion?: number | null;
    reason?: string;
  },
): Promise<number> {
  const r = await tx.query<{ version: number }>(
    `INSERT INTO published_versions (cohort_id, version, snapshot_id, previous_snapshot_id, run_id, approved_by, restores_version, reason)
     SELECT $1, COALESCE((SELECT max(version) FROM published_versions WHERE cohort_id = $1), 0) + 1, $2,
            (SELECT snapshot_id FROM cohort_current WHERE cohort_id = $1), $3, $4, $5, $6
     RETURNING version`,
    [v.cohortId, v.snapshotId, v.runId, v.approvedBy, v.restoresVersion ?? null, v.reason ?? null],
  );
  return r.rows[0]!.version;
}

/** Points the cohort at the snapshot, or at nothing (withdrawn) for null. */
export async function movePointer(
  tx: Queryable,
  cohortId: string,
  snapshotId: string | null,
  runId: string,
): Promise<void> {
  if (snapshotId === null) {
    await tx.query('DELETE FROM cohort_current WHERE cohort_id = $1', [cohortId]);
    return;
  }
  await tx.query(
    `INSERT INTO cohort_current (cohort_id, snapshot_id, run_id, published_at) VALUES ($1, $2, $3, now())
     ON CONFLICT (cohort_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, run_id = EXCLUDED.run_id, published_at = EXCLUDED.published_at`,
    [cohortId, snapshotId, runId],
  );
}

/** The snapshot cohort_current points at; null when the cohort has none. */
export async function currentSnapshot(tx: Queryable, cohortId: string): Promise<string | null> {
  const r = await tx.query<{ snapshot_id: string }>('SELECT snapshot_id FROM cohort_current WHERE cohort_id = $1', [
    cohortId,
  ]);
  return r.rows[0]?.snapshot_id ?? null;
}

/** The versions refresh run `runId` published for these cohorts, with what each replaced. */
export async function versionsOfRun(
  tx: Queryable,
  runId: string,
  cohorts: string[],
): Promise<Array<{ cohortId: string; version: number; snapshotId: string; previousSnapshotId: string | null }>> {
  const r = await tx.query<{
    cohort_id: string;
    version: number;
    snapshot_id: string;
    previous_snapshot_id: string | null;
  }>(
    'SELECT cohort_id, version, snapshot_id, previous_snapshot_id FROM published_versions WHERE run_id = $1 AND cohort_id = ANY($2::text[]) ORDER BY cohort_id',
    [runId, cohorts],
  );
  return r.rows.map((x) => ({
    cohortId: x.cohort_id,
    version: x.version,
    snapshotId: x.snapshot_id,
    previousSnapshotId: x.previous_snapshot_id,
  }));
}

/** The latest version before `before` that published this snapshot; null when none did. */
export async function versionOfSnapshot(
  tx: Queryable,
  cohortId: string,
  snapshotId: string,
  before: number,
): Promise<number | null> {
  const r = await tx.query<{ version: number | null }>(
    'SELECT max(version) AS version FROM published_versions WHERE cohort_id = $1 AND snapshot_id = $2 AND version < $3',
    [cohortId, snapshotId, before],
  );
  return r.rows[0]?.version ?? null;
}

/** Version `version` of the cohort; undefined when it never published one (null snapshot: a withdrawal). */
export async function publishedVersion(
  tx: Queryable,
  cohortId: string,
  version: number,
): Promise<{ snapshotId: string | null } | undefined> {
  const r = await tx.query<{ snapshot_id: string | null }>(
    'SELECT snapshot_id FROM published_versions WHERE cohort_id = $1 AND version = $2',
    [cohortId, version],
  );
  return r.rows[0] ? { snapshotId: r.rows[0].snapshot_id } : undefined;
}

/** Every version number the cohort published, oldest first. */
export async function versionNumbers(db: Queryable, cohortId: string): Promise<number[]> {
  const r = await db.query<{ version: number }>(
    'SELECT version FROM published_versions WHERE cohort_id = $1 ORDER BY version',
    [cohortId],
  );
  return r.rows.map((x) => x.version);
}
