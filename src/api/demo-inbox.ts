import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signWebhook } from '../destinations/webhook';

/** What the inbox reads of a delivery; anything else in it is kept out of the summary. */
const Delivery = z.looseObject({
  data: z.looseObject({ cohortId: z.string(), adds: z.array(z.string()), removes: z.array(z.string()) }),
});

interface Received {
  webhookId: string;
  receivedAt: string;
  cohortId: string;
  adds: number;
  removes: number;
  duplicate: boolean;
}

/**
 * A webhook receiver built into the embedded demo, so a fresh `npm start` publishes somewhere
 * real: it verifies the Standard Webhooks signature and keeps the last deliveries in memory.
 */
export function registerDemoInbox(app: FastifyInstance, secret: string): void {
  const received: Received[] = [];
  const seen = new Set<string>();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    (request as unknown as { rawBody: string }).rawBody = body as string;
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch (err) {
      (err as { statusCode?: number }).statusCode = 400;
      done(err as Error, undefined);
    }
  });
  app.post('/demo/webhook-inbox', { schema: { body: Delivery, hide: true } }, async (request, reply) => {
    const id = String(request.headers['webhook-id'] ?? '');
    const timestamp = Number(request.headers['webhook-timestamp']);
    const signatures = String(request.headers['webhook-signature'] ?? '').split(' ');
    const expected = signWebhook(secret, id, timestamp, (request as unknown as { rawBody: string }).rawBody);
    const valid = signatures.some(
      (s) => s.length === expected.length && crypto.timingSafeEqual(Buffer.from(s), Buffer.from(expected)),
    );
    if (!id || !valid || Math.abs(Date.now() / 1000 - timestamp) > 300)
      return reply.code(401).send({ error: 'bad signature' });
    const { data } = request.body as z.output<typeof Delivery>;
    received.unshift({
      webhookId: id,
      receivedAt: new Date().toISOString(),
      cohortId: data.cohortId,
      adds: data.adds.length,
      removes: data.removes.length,
      duplicate: seen.has(id),
    });
    seen.add(id);
    received.splice(100);
    return reply.code(204).send();
  });
  app.get('/demo/webhook-inbox', { schema: { hide: true } }, async () => received);
}
