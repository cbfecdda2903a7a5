import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { Logger } from '../log';
import { cursorOf, deliverVersion, isDisabled, type VersionDelivery } from './deliver-version';

export class NothingToReconcile extends Error {}

/**
 * Re-sends to each destination the difference between what it acknowledged (its cursor's
 * snapshot minus what was held back) and the cohort's current published version, consent
 * re-checked now. A destination behind the current version gets that version's own delivery; one
 * already on it gets a new `reconcile-<n>` delivery, and an unfinished reconcile is resumed.
 */
export async function reconcileCohort(
  deps: { db: Db; log: Logger },
  destinations: Destination[],
  input: { cohortId: string; destination?: string },
): Promise<VersionDelivery[]> {
  const current = await deps.db.query<{ version: number; snapshot_id: string; run_id: string }>(
    `SELECT v.version, v.snapshot_id, v.run_id FROM cohort_current c
     JOIN published_versions v ON v.cohort_id = c.cohort_id AND v.snapshot_id = c.snapshot_id
     WHERE c.cohort_id = $1 ORDER BY v.version DESC LIMIT 1`,
    [input.cohortId],
  );
  const published = current.rows[0];
  if (!published) throw new NothingToReconcile(`cohort ${input.cohortId} has no published version`);
  const chosen = input.destination ? destinations.filter((d) => d.name === input.destination) : destinations;
  if (input.destination && chosen.length === 0)
    throw new NothingToReconcile(
      `no destination ${JSON.stringify(input.destination)}; configured: ${destinations.map((d) => d.name).join(', ') || 'none'}`,
    );
  const results: VersionDelivery[] = [];
  for (const destination of chosen) {
    if (await isDisabled(deps.db, destination.name)) continue;
    const cursor = await cursorOf(deps.db, destination.name, input.cohortId);
    let label = '';
    if (cursor && cursor.version >= published.version) {
      const earlier = await deps.db.query<{ label: string; status: string }>(
        `SELECT label, status FROM destination_deliveries WHERE cohort_id = $1 AND version = $2 AND destination = $3 AND label <> '' ORDER BY planned_at DESC`,
        [input.cohortId, published.version, destination.name],
      );
      const unfinished = earlier.rows.find((r) => r.status === 'pending');
      label = unfinished?.label ?? `reconcile-${earlier.rows.length + 1}`;
    }
    results.push(
      await deliverVersion(
        deps,
        destination,
        {
          cohortId: input.cohortId,
          version: published.version,
          snapshotId: published.snapshot_id,
          runId: published.run_id,
          label,
        },
        { heartbeat: () => undefined },
      ),
    );
  }
  return results;
}
