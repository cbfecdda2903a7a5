import crypto from 'node:crypto';
import type { Db } from '../data/db';
import { exportCohortFiles } from '../delivery/file-export';
import type { Destination } from '../destinations/destination';
import { defaultOutboundHttp, type OutboundHttp } from '../destinations/outbound-http';
import { sendSignedWebhook } from '../destinations/webhook';
import type { Logger } from '../log';
import { eraseCustomerData, erasedSubject, removalsOf, type ErasureReport } from './erase';

/** Stable per (customer, cohort, destination): a re-sent remove carries the same webhook-id. */
const removeIdOf = (customerId: string, cohortId: string, destination: string) =>
  `msg_${crypto.createHash('sha256').update(`erasure\n${customerId}\n${cohortId}\n${destination}`).digest('hex').slice(0, 32)}`;

/**
 * Erases the customer (erase.ts), then tells every destination that held them: a webhook gets a
 * signed remove, a file destination's exports of that cohort are rewritten without them, the SQL
 * table lost their rows in the erasure itself. A remove that fails stays pending with its error;
 * running the erasure again retries it and changes nothing else.
 */
export async function eraseCustomer(
  deps: { db: Db; log: Logger; destinations: Destination[]; http?: OutboundHttp },
  input: { customerId: string; requestedBy: string; reason: string },
): Promise<ErasureReport> {
  const erased = await eraseCustomerData(deps.db, input);
  const log = deps.log.child({ subject: erasedSubject(input.customerId) });
  for (const removal of erased.removals.filter((r) => !r.delivered)) {
    const destination = deps.destinations.find((d) => d.name === removal.destination);
    try {
      if (!destination) throw new Error(`destination ${removal.destination} is not configured here`);
      await sendRemove(deps, destination, input.customerId, removal.cohortId);
      await deps.db.query(
        'UPDATE erasure_removals SET delivered_at = now(), last_error = NULL WHERE customer_id = $1 AND cohort_id = $2 AND destination = $3',
        [input.customerId, removal.cohortId, removal.destination],
      );
      log.info({ cohortId: removal.cohortId, destination: removal.destination }, 'erasure remove delivered');
    } catch (err) {
      await deps.db.query(
        'UPDATE erasure_removals SET last_error = $4 WHERE customer_id = $1 AND cohort_id = $2 AND destination = $3',
        [input.customerId, removal.cohortId, removal.destination, (err as Error).message],
      );
      log.warn(
        { err, cohortId: removal.cohortId, destination: removal.destination },
        'erasure remove not delivered; run the erasure again to retry',
      );
    }
  }
  return { ...erased, removals: await removalsOf(deps.db, input.customerId) };
}

async function sendRemove(
  { db, http }: { db: Db; http?: OutboundHttp },
  destination: Destination,
  customerId: string,
  cohortId: string,
): Promise<void> {
  if (destination.kind === 'sql') return; // its rows went in the erasure's transaction
  if (destination.kind === 'file') {
    // Every export of the cohort for this destination, rebuilt from the data without the customer.
    const versions = await db.query<{
      version: number;
      snapshot_id: string | null;
      delivery_id: string;
      from_version: number | null;
    }>(
      `SELECT d.version, v.snapshot_id, d.delivery_id, d.from_version FROM destination_deliveries d
       JOIN published_versions v ON v.cohort_id = d.cohort_id AND v.version = d.version
       WHERE d.cohort_id = $1 AND d.destination = $2 AND d.status = 'acknowledged' ORDER BY d.version`,
      [cohortId, destination.name],
    );
    for (const v of versions.rows) {
      await exportCohortFiles(db, destination, {
        cohortId,
        version: v.version,
        snapshotId: v.snapshot_id,
        deliveryId: v.delivery_id,
        previousVersion: v.from_version,
      });
    }
    return;
  }
  const answer = await sendSignedWebhook(http ?? defaultOutboundHttp(), {
    target: `destination ${destination.name}`,
    url: destination.url,
    allowPrivateNetwork: destination.allowPrivateNetwork,
    secrets: destination.secrets,
    id: removeIdOf(customerId, cohortId, destination.name),
    type: 'cohort.erasure',
    data: { cohortId, destination: destination.name, adds: [], removes: [{ customer_id: customerId }] },
    timeoutMs: destination.timeoutMs,
  });
  if (answer.status < 200 || answer.status >= 300) throw new Error(`${destination.name} answered ${answer.status}`);
}
