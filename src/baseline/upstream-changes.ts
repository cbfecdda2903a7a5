import type { Queryable } from '../data/db';
import type { CohortDefinition } from '../cohorts/definition';
import { reachableCohorts } from '../cohorts/rule-walk';
import type { UpstreamChange } from '../shared';

// A cohort's membership moves when a cohort it refers to (in_cohort, directly or through others)
// changes its definition, though its own did not. The authors of those changes since the cohort's
// published snapshot are found here, so four eyes keeps them from approving it.

/**
 * The cohorts `cohortId` reaches in the run's plan whose definition version differs from the one
 * its published snapshot was computed with, with the authors of the versions in between. An
 * upstream cohort the published run did not plan counts from its last version recorded before
 * that snapshot was made.
 */
export async function upstreamChanges(
  db: Queryable,
  runId: string,
  cohortId: string,
  publishedSnapshotId: string,
): Promise<UpstreamChange[]> {
  const planned = await db.query<{ cohort_id: string; definition_version: number; definition: CohortDefinition }>(
    `SELECT rc.cohort_id, rc.definition_version, d.definition FROM run_cohorts rc
     JOIN cohort_definitions d ON d.cohort_id = rc.cohort_id AND d.version = rc.definition_version
     WHERE rc.run_id = $1`,
    [runId],
  );
  const plan = new Map(planned.rows.map((r) => [r.cohort_id, r]));
  const upstream = reachableCohorts([cohortId], (id) => plan.get(id)?.definition.rule).reached;
  if (upstream.length === 0) return [];
  const baseline = await db.query<{ cohort_id: string; version: number | null }>(
    `SELECT u.cohort_id,
            COALESCE(
              (SELECT rc.definition_version FROM run_cohorts rc WHERE rc.run_id = p.run_id AND rc.cohort_id = u.cohort_id),
              (SELECT max(d.version) FROM cohort_definitions d WHERE d.cohort_id = u.cohort_id AND d.created_at <= p.created_at)
            ) AS version
     FROM unnest($1::text[]) AS u (cohort_id)
     CROSS JOIN (SELECT run_id, created_at FROM cohort_snapshots WHERE snapshot_id = $2) p`,
    [upstream, publishedSnapshotId],
  );
  const changes: UpstreamChange[] = [];
  for (const { cohort_id: id, version: from } of baseline.rows) {
    const to = plan.get(id)!.definition_version;
    if (from === to) continue;
    const authors = await db.query<{ author: string }>(
      `SELECT author FROM cohort_definitions WHERE cohort_id = $1 AND version > $2 AND version <= $3 ORDER BY version`,
      [id, from ?? 0, to],
    );
    changes.push({
      cohortId: id,
      fromVersion: from,
      toVersion: to,
      authors: [...new Set(authors.rows.map((r) => r.author))],
    });
  }
  return changes.sort((a, b) => a.cohortId.localeCompare(b.cohortId));
}
