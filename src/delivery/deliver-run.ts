import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { OutboundHttp } from '../destinations/outbound-http';
import { unknownDestinations } from '../destinations/destinations-file';
import type { Logger } from '../log';
import type { DeliveryResult } from '../shared';
import { deliverVersion, isDisabled, type DeliveryHooks } from './deliver-version';

/** A delivery no retry can make: the run published no such version, or the cohort names an unknown destination. */
export class NothingToDeliver extends Error {}

/**
 * Delivers the version a run (or rollback) published of the cohort to each destination the cohort
 * lists (all configured ones when it lists none): to each, the difference from the version it
 * last acknowledged. A retry resumes at the first unacknowledged batch.
 */
export async function deliverRunVersion(
  deps: { db: Db; log: Logger; http?: OutboundHttp },
  configured: Destination[],
  input: { runId: string; cohortId: string },
  hooks: DeliveryHooks,
): Promise<DeliveryResult[]> {
  // A rollback of a first publish writes a version without a snapshot (a withdrawal): every member
  // a destination holds goes as a remove, to the destinations of the definition it replaced.
  const pv = await deps.db.query<{ version: number; snapshot_id: string | null; destinations: string[] | null }>(
    `SELECT v.version, v.snapshot_id, d.definition->'destinations' AS destinations FROM published_versions v
     LEFT JOIN cohort_snapshots s ON s.snapshot_id = v.snapshot_id
     LEFT JOIN cohort_snapshots p ON p.snapshot_id = v.previous_snapshot_id
     LEFT JOIN cohort_definitions d ON d.cohort_id = v.cohort_id AND d.version = COALESCE(s.definition_version, p.definition_version)
     WHERE v.run_id = $1 AND v.cohort_id = $2`,
    [input.runId, input.cohortId],
  );
  const version = pv.rows[0];
  if (!version) throw new NothingToDeliver(`run ${input.runId} published no version of ${input.cohortId}`);
  const targets = destinationsOf(configured, input.cohortId, version.destinations ?? []);

  const results: DeliveryResult[] = [];
  for (const destination of targets) {
    const result = { cohortId: input.cohortId, destination: destination.name };
    if (await isDisabled(deps.db, destination.name)) {
      deps.log.warn({ destination: destination.name }, 'destination disabled (it answered 410 Gone): skipped');
      results.push({ ...result, adds: 0, removes: 0, delivered: false, alreadyDelivered: false });
      continue;
    }
    const done = await deliverVersion(
      deps,
      destination,
      { cohortId: input.cohortId, version: version.version, snapshotId: version.snapshot_id, runId: input.runId },
      hooks,
    );
    const { adds, removes, delivered, alreadyDelivered } = done;
    results.push({ ...result, adds, removes, delivered, alreadyDelivered });
  }
  return results;
}

/**
 * The cohort's destinations by name (all when it lists none, or when only the catch-all webhook
 * of WEBHOOK_URL or the demo inbox is configured); a name not configured is refused.
 */
function destinationsOf(configured: Destination[], cohortId: string, names: string[]): Destination[] {
  if (names.length === 0 || configured.every((d) => d.catchAll)) return configured;
  const problems = unknownDestinations([{ id: cohortId, destinations: names }], configured);
  if (problems.length) throw new NothingToDeliver(problems.join('; '));
  return names.map((n) => configured.find((d) => d.name === n)!);
}
