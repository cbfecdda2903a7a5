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

export function createWebhookDestination(options: { name?: string; url: string; secret: string; timeoutMs?: number }): Destination {
  const name = options.name ?? 'webhook';
  return {
    name,
    async deliver(message: CohortDiffMessage) {
      const timestamp = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({ type: 'cohort.published', timestamp: new Date(timestamp * 1000).toISOString(), data: message });
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': message.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(options.secret, message.id, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      await response.body?.cancel();
      if (response.ok) return { status: response.status };
      const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
      const text = `${name} answered ${response.status} for ${message.cohortId} (${message.id})`;
      if (retryable) throw new Error(text);
      throw new DeliveryRejected(text, response.status);
    },
  };
}
