import crypto from 'node:crypto';
import { DeliveryRejected, type CohortDiffMessage, type Destination } from './destination';

/**
 * Standard Webhooks signature: base64 HMAC-SHA256 over "id.timestamp.body", keyed with the
 * base64 secret after its whsec_ prefix.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Whether a failed POST is worth retrying: server errors, timeouts (408) and rate limits (429). */
export const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/**
 * POSTs `{ type, timestamp, data }` signed per Standard Webhooks, with `id` as webhook-id (the
 * receiver's idempotency key). Resolves with the HTTP status once the body is drained.
 */
export async function postSignedWebhook(options: { url: string; secret: string; id: string; type: string; data: unknown; timeoutMs: number }): Promise<number> {
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ type: options.type, timestamp: new Date(timestamp * 1000).toISOString(), data: options.data });
  const response = await fetch(options.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': options.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(options.secret, options.id, timestamp, body),
    },
    body,
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  await response.body?.cancel();
  return response.status;
}

export function createWebhookDestination(options: { name?: string; url: string; secret: string; timeoutMs?: number }): Destination {
  const name = options.name ?? 'webhook';
  return {
    name,
    async deliver(message: CohortDiffMessage) {
      const status = await postSignedWebhook({ url: options.url, secret: options.secret, id: message.id, type: 'cohort.published', data: message, timeoutMs: options.timeoutMs ?? 30_000 });
      if (status >= 200 && status < 300) return { status };
      const text = `${name} answered ${status} for ${message.cohortId} (${message.id})`;
      if (retryableStatus(status)) throw new Error(text);
      throw new DeliveryRejected(text, status);
    },
  };
}
