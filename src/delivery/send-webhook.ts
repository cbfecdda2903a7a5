import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import { UnsafeDestinationUrl } from '../destinations/network-guard';
import { defaultOutboundHttp, type OutboundHttp } from '../destinations/outbound-http';
import { retryableStatus, sendSignedWebhook } from '../destinations/webhook';
import { batchRows, type DeliveryBatch } from './batch-rows';

type WebhookDestination = Extract<Destination, { kind: 'webhook' }>;

export interface BatchEnvelope {
  runId: string;
  cohortId: string;
  version: number;
  batches: number;
}

/** Thrown after a 410: the destination is disabled and the delivery stops for it. */
export class DestinationGone extends Error {}

/**
 * Sends one batch. Resolves once the receiver acknowledged (2xx); otherwise throws an
 * ApplicationFailure Temporal understands: retryable for 5xx/408/429/timeouts (with Retry-After
 * as nextRetryDelay), non-retryable for other 4xx and for addresses refused when connecting.
 */
export async function sendWebhookBatch(
  db: Db,
  destination: WebhookDestination,
  batch: DeliveryBatch,
  envelope: BatchEnvelope,
  http: OutboundHttp = defaultOutboundHttp(),
): Promise<number> {
  const where = `${destination.name} batch ${batch.batchNo}/${envelope.batches} of ${envelope.cohortId} v${envelope.version} (${batch.id})`;
  const { adds, removes } = await batchRows(db, destination, batch);
  const data = { ...envelope, destination: destination.name, batch: batch.batchNo, adds, removes };
  let answer: { status: number; retryAfterMs?: number };
  try {
    answer = await sendSignedWebhook(http, {
      target: `destination ${destination.name}`,
      url: destination.url,
      secrets: destination.secrets,
      id: batch.id,
      type: 'cohort.delivery',
      data,
      timeoutMs: destination.timeoutMs,
      allowPrivateNetwork: destination.allowPrivateNetwork,
    });
  } catch (err) {
    if (err instanceof UnsafeDestinationUrl) {
      await recordAttempt(db, batch, null, err.message);
      throw ApplicationFailure.nonRetryable(err.message, 'UnsafeDestinationUrl');
    }
    const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
    const message = timedOut
      ? `${where}: no answer within ${destination.timeoutMs} ms`
      : `${where}: ${(err as Error).message}`;
    await recordAttempt(db, batch, null, message);
    throw ApplicationFailure.create({ message, type: timedOut ? 'DestinationTimeout' : 'DestinationUnreachable' });
  }
  if (answer.status >= 200 && answer.status < 300) return answer.status;
  const message = `${where}: answered ${answer.status}`;
  await recordAttempt(db, batch, answer.status, message);
  if (answer.status === 410) throw new DestinationGone(message);
  if (retryableStatus(answer.status)) {
    throw ApplicationFailure.create({
      message,
      type: 'DestinationUnavailable',
      ...(answer.retryAfterMs !== undefined ? { nextRetryDelay: answer.retryAfterMs } : {}),
    });
  }
  throw ApplicationFailure.nonRetryable(message, 'DestinationRejected', {
    destination: destination.name,
    status: answer.status,
  });
}

const recordAttempt = (db: Db, batch: DeliveryBatch, status: number | null, error: string) =>
  db.query('UPDATE delivery_batches SET last_status = $3, last_error = $4 WHERE delivery_id = $1 AND batch_no = $2', [
    batch.deliveryId,
    batch.batchNo,
    status,
    error,
  ]);
