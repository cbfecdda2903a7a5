import crypto from 'node:crypto';
import type { OutboundHttp } from './outbound-http';

/**
 * Standard Webhooks signature: base64 HMAC-SHA256 over "id.timestamp.body", keyed with the
 * base64 secret after its whsec_ prefix.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = crypto.createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Every current secret signs, space-separated: a receiver still on the old secret verifies during rotation. */
export const signatureHeader = (secrets: string[], id: string, timestamp: number, body: string) =>
  secrets.map((s) => signWebhook(s, id, timestamp, body)).join(' ');

/** Whether a failed POST is worth retrying: server errors, timeouts (408) and rate limits (429). */
export const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/** Retry-After in milliseconds, from seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * POSTs `{ type, timestamp, data }` signed per Standard Webhooks, with `id` as webhook-id (the
 * receiver's idempotency key), through the outbound client (its address checks apply at
 * connect time). Resolves with the status and Retry-After once the body is drained.
 */
export async function sendSignedWebhook(
  http: OutboundHttp,
  options: {
    /** Names the receiver in errors: a destination, or the approval notice webhook. */
    target: string;
    url: string;
    secrets: string[];
    id: string;
    type: string;
    data: unknown;
    timeoutMs: number;
    allowPrivateNetwork: boolean;
  },
): Promise<{ status: number; retryAfterMs?: number }> {
  const timestamp = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({
    type: options.type,
    timestamp: new Date(timestamp * 1000).toISOString(),
    data: options.data,
  });
  const answer = await http.post({
    target: options.target,
    url: options.url,
    headers: {
      'content-type': 'application/json',
      'webhook-id': options.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatureHeader(options.secrets, options.id, timestamp, body),
    },
    body,
    timeoutMs: options.timeoutMs,
    allowPrivateNetwork: options.allowPrivateNetwork,
  });
  return { status: answer.status, retryAfterMs: retryAfterMs(answer.header('retry-after') ?? null) };
}
