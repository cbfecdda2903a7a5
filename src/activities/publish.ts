import { Context } from '@temporalio/activity';
import { deliverVersion, isDisabled } from '../delivery/deliver-version';
import type { Destination } from '../destinations/destination';
import { unknownDestinations } from '../destinations/destinations-file';
import type { DeliveryResult } from '../shared';
import { activityLog, invalidInput } from './context';
import type { ActivityDeps } from './deps';

export interface PublishedVersion {
  cohortId: string;
  snapshotId: string;
  version: number;
}

/**
 * Moves every cohort's current pointer to the run's snapshot in one transaction, so readers
 * never see half a publish. A retry finds the versions it already wrote and returns them.
 */
export async function publishSnapshots(
  deps: ActivityDeps,
  input: { runId: string; snapshotIds: string[]; approvedBy: string; approvals?: Record<string, string> },
): Promise<PublishedVersion[]> {
  const published = await deps.db.transaction(async (tx) => {
    // One publish at a time: versions and pointers move together.
    await tx.query('LOCK TABLE cohort_current IN SHARE ROW EXCLUSIVE MODE');
    const snapshots = await tx.query<{ snapshot_id: string; cohort_id: string }>(
      'SELECT snapshot_id, cohort_id FROM cohort_snapshots WHERE snapshot_id = ANY($1::text[]) AND run_id = $2 ORDER BY cohort_id',
      [input.snapshotIds, input.runId],
    );
    if (snapshots.rowCount !== input.snapshotIds.length)
      throw invalidInput(`run ${input.runId} does not own all snapshots ${input.snapshotIds.join(', ')}`);
    const result: PublishedVersion[] = [];
    for (const s of snapshots.rows) {
      const done = await tx.query<{ version: number }>(
        'SELECT version FROM published_versions WHERE run_id = $1 AND cohort_id = $2',
        [input.runId, s.cohort_id],
      );
      if (done.rows[0]) {
        result.push({ cohortId: s.cohort_id, snapshotId: s.snapshot_id, version: done.rows[0].version });
        continue;
      }
      const v = await tx.query<{ version: number }>(
        `INSERT INTO published_versions (cohort_id, version, snapshot_id, previous_snapshot_id, run_id, approved_by)
         SELECT $1, COALESCE((SELECT max(version) FROM published_versions WHERE cohort_id = $1), 0) + 1, $2,
                (SELECT snapshot_id FROM cohort_current WHERE cohort_id = $1), $3, $4
         RETURNING version`,
        // Each version names who approved that cohort ('policy' when no human was needed).
        [s.cohort_id, s.snapshot_id, input.runId, input.approvals?.[s.cohort_id] ?? input.approvedBy],
      );
      await tx.query(
        `INSERT INTO cohort_current (cohort_id, snapshot_id, run_id, published_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (cohort_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, run_id = EXCLUDED.run_id, published_at = EXCLUDED.published_at`,
        [s.cohort_id, s.snapshot_id, input.runId],
      );
      result.push({ cohortId: s.cohort_id, snapshotId: s.snapshot_id, version: v.rows[0]!.version });
    }
    await tx.query(
      `INSERT INTO audit_log (run_id, actor, action, details) SELECT $1, $2, 'run.published', $3 WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE run_id = $1 AND action = 'run.published')`,
      [input.runId, input.approvedBy, { versions: result }],
    );
    return result;
  });
  activityLog(deps.log, { runId: input.runId }).info({ cohorts: published.length }, 'published');
  return published;
}

/**
 * Delivers the run's published version of the cohort to each destination the cohort lists (all
 * configured ones when it lists none): to each, the difference from the version it last
 * acknowledged. A retry resumes at the first unacknowledged batch (src/delivery/).
 */
export async function deliverCohort(
  deps: ActivityDeps,
  input: { runId: string; cohortId: string },
): Promise<DeliveryResult[]> {
  const log = activityLog(deps.log, { runId: input.runId, cohortId: input.cohortId });
  const { db } = deps;
  // A rollback of a first publish writes a version without a snapshot (a withdrawal): every member
  // a destination holds goes as a remove, to the destinations of the definition it replaced.
  const pv = await db.query<{ version: number; snapshot_id: string | null; destinations: string[] | null }>(
    `SELECT v.version, v.snapshot_id, d.definition->'destinations' AS destinations FROM published_versions v
     LEFT JOIN cohort_snapshots s ON s.snapshot_id = v.snapshot_id
     LEFT JOIN cohort_snapshots p ON p.snapshot_id = v.previous_snapshot_id
     LEFT JOIN cohort_definitions d ON d.cohort_id = v.cohort_id AND d.version = COALESCE(s.definition_version, p.definition_version)
     WHERE v.run_id = $1 AND v.cohort_id = $2`,
    [input.runId, input.cohortId],
  );
  const version = pv.rows[0];
  if (!version) throw invalidInput(`run ${input.runId} published no version of ${input.cohortId}`);
  const targets = destinationsOf(deps.destinations, input.cohortId, version.destinations ?? []);

  const results: DeliveryResult[] = [];
  for (const destination of targets) {
    if (await isDisabled(db, destination.name)) {
      log.warn({ destination: destination.name }, 'destination disabled (it answered 410 Gone): skipped');
      results.push({
        cohortId: input.cohortId,
        destination: destination.name,
        adds: 0,
        removes: 0,
        delivered: false,
        alreadyDelivered: false,
      });
      continue;
    }
    const done = await deliverVersion(
      { db, log },
      destination,
      { cohortId: input.cohortId, version: version.version, snapshotId: version.snapshot_id, runId: input.runId },
      {
        heartbeat: (progress) => Context.current().heartbeat(progress),
      },
    );
    results.push({
      cohortId: input.cohortId,
      destination: destination.name,
      adds: done.adds,
      removes: done.removes,
      delivered: done.delivered,
      alreadyDelivered: done.alreadyDelivered,
    });
  }
  return results;
}

/**
 * The cohort's destinations by name (all when it lists none, or when only the pre-issue-6
 * catch-all webhook is configured); a name not configured is an error no retry fixes.
 */
function destinationsOf(configured: Destination[], cohortId: string, names: string[]): Destination[] {
  if (names.length === 0 || configured.every((d) => d.catchAll)) return configured;
  const problems = unknownDestinations([{ id: cohortId, destinations: names }], configured);
  if (problems.length) throw invalidInput(problems.join('; '));
  return names.map((n) => configured.find((d) => d.name === n)!);
}
