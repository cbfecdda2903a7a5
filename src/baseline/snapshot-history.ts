import type { Queryable } from '../data/db';
import type { DefinitionHistory } from './definition-checks';
import { definitionDiff } from '../cohorts/definition-diff';
import type { MembershipOverlap } from './membership-checks';

// What a new snapshot is compared with, read from Postgres: the published snapshot, the trailing
// baseline of published versions, the shared members, and the definition versions in between.

export interface PublishedSnapshot {
  snapshotId: string;
  version: number;
  definitionVersion: number;
  asOf: Date;
  size: number;
}

export interface SnapshotUnderTest {
  snapshotId: string;
  cohortId: string;
  tier: string;
  definitionVersion: number;
  asOf: Date;
  size: number;
  /** The definition's `checks` as recorded (validated by thresholdsOf). */
  checks: unknown;
  /** What cohort_current points at now; null before the first publish. */
  published: PublishedSnapshot | null;
}

/** The run's own snapshots among `snapshotIds`, with what is published for each cohort now. */
export async function snapshotsUnderTest(
  db: Queryable,
  runId: string,
  snapshotIds: string[],
): Promise<SnapshotUnderTest[]> {
  const r = await db.query<{
    snapshot_id: string;
    cohort_id: string;
    tier: string;
    definition_version: number;
    as_of: Date;
    size: number;
    checks: unknown;
    published_snapshot_id: string | null;
    published_version: number | null;
    published_definition_version: number | null;
    published_as_of: Date | null;
    published_size: number | null;
  }>(
    `SELECT s.snapshot_id, s.cohort_id, d.tier, s.definition_version, s.as_of, s.size, d.definition->'checks' AS checks,
            p.snapshot_id AS published_snapshot_id, v.version AS published_version, p.definition_version AS published_definition_version,
            p.as_of AS published_as_of, p.size AS published_size
     FROM cohort_snapshots s
     JOIN cohort_definitions d ON d.cohort_id = s.cohort_id AND d.version = s.definition_version
     LEFT JOIN cohort_current c ON c.cohort_id = s.cohort_id
     LEFT JOIN cohort_snapshots p ON p.snapshot_id = c.snapshot_id
     LEFT JOIN LATERAL (SELECT max(version) AS version FROM published_versions pv WHERE pv.cohort_id = s.cohort_id AND pv.snapshot_id = c.snapshot_id) v ON true
     WHERE s.snapshot_id = ANY($1::text[]) AND s.run_id = $2
     ORDER BY s.cohort_id`,
    [snapshotIds, runId],
  );
  return r.rows.map((x) => ({
    snapshotId: x.snapshot_id,
    cohortId: x.cohort_id,
    tier: x.tier,
    definitionVersion: x.definition_version,
    asOf: x.as_of,
    size: x.size,
    checks: x.checks,
    published: x.published_snapshot_id
      ? {
          snapshotId: x.published_snapshot_id,
          version: x.published_version ?? 0,
          definitionVersion: x.published_definition_version!,
          asOf: x.published_as_of!,
          size: x.published_size!,
        }
      : null,
  }));
}

export interface BaselineEntry {
  version: number;
  snapshotId: string;
  size: number;
}

/** The last `window` published versions of each cohort, newest first (published_versions' primary key). */
export async function trailingBaselines(
  db: Queryable,
  cohorts: Array<{ cohortId: string; window: number }>,
): Promise<Map<string, BaselineEntry[]>> {
  const r = await db.query<{ cohort_id: string; version: number; snapshot_id: string; size: number }>(
    `SELECT w.cohort_id, v.version, v.snapshot_id, s.size
     FROM unnest($1::text[], $2::int[]) AS w (cohort_id, n)
     CROSS JOIN LATERAL (SELECT version, snapshot_id FROM published_versions pv WHERE pv.cohort_id = w.cohort_id ORDER BY version DESC LIMIT w.n) v
     JOIN cohort_snapshots s ON s.snapshot_id = v.snapshot_id
     ORDER BY w.cohort_id, v.version DESC`,
    [cohorts.map((c) => c.cohortId), cohorts.map((c) => c.window)],
  );
  const baselines = new Map<string, BaselineEntry[]>(cohorts.map((c) => [c.cohortId, []]));
  for (const x of r.rows)
    baselines.get(x.cohort_id)!.push({ version: x.version, snapshotId: x.snapshot_id, size: x.size });
  return baselines;
}

/**
 * Members both snapshots hold, counted inside Postgres (cohortflow_shared_members, migration 006).
 */
export async function membershipOverlap(
  db: Queryable,
  snapshotId: string,
  previousSnapshotId: string,
): Promise<MembershipOverlap> {
  const r = await db.query<{ size: number; previous_size: number; common: number }>(
    `SELECT (SELECT size FROM cohort_snapshots WHERE snapshot_id = $1) AS size,
            (SELECT size FROM cohort_snapshots WHERE snapshot_id = $2) AS previous_size,
            cohortflow_shared_members($1, $2) AS common`,
    [snapshotId, previousSnapshotId],
  );
  const row = r.rows[0]!;
  return { size: row.size, previousSize: row.previous_size, common: row.common };
}

/** The definitions of both versions, diffed, and every version written after the published one. */
export async function definitionHistory(
  db: Queryable,
  cohortId: string,
  publishedVersion: number,
  version: number,
): Promise<DefinitionHistory> {
  const r = await db.query<{ version: number; author: string; change: string; rationale: string; definition: unknown }>(
    `SELECT version, author, change, rationale, definition FROM cohort_definitions
     WHERE cohort_id = $1 AND version BETWEEN LEAST($2::int, $3::int) AND GREATEST($2::int, $3::int) ORDER BY version`,
    [cohortId, publishedVersion, version],
  );
  const at = (v: number) => r.rows.find((x) => x.version === v)?.definition ?? null;
  return {
    version,
    publishedVersion,
    diff: definitionDiff(at(publishedVersion), at(version)),
    versions: r.rows
      .filter((x) => x.version > publishedVersion && x.version <= version)
      .map((x) => ({ version: x.version, author: x.author, change: x.change, rationale: x.rationale })),
  };
}
