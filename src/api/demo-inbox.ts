import crypto from 'node:crypto';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { signWebhook } from '../destinations/webhook';

/** What the inbox reads of a delivery; anything else in it is kept out of the summary. */
const Delivery = z.looseObject({
  data: z.looseObject({
    cohortId: z.string(),
    adds: z.array(z.string()),
    removes: z.array(z.string()),
    runId: z.string().optional(),
    version: z.number().optional(),
    batch: z.number().optional(),
    batches: z.number().optional(),
  }),
});

export interface ReceivedDelivery {
  webhookId: string;
  receivedAt: string;
  /** The run (or rollback) that published the version: `refresh status <runId>` tells its story. */
  runId?: string;
  cohortId: string;
  version?: number;
  batch?: number;
  batches?: number;
  adds: number;
  removes: number;
  /** The same webhook-id arrived before: a re-sent batch the receiver drops. */
  duplicate: boolean;
}

/** The inbox answers with the latest deliveries; the file keeps about twice as many. */
const SHOWN = 100;
const KEPT = 1000;

/** Reads what an earlier start received; a torn last line (a crash mid-write) is skipped. */
function readInbox(file: string): ReceivedDelivery[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as ReceivedDelivery];
      } catch {
        return [];
      }
    });
}

/**
 * A webhook receiver built into the embedded demo, so a fresh `npm start` publishes somewhere
 * real: it verifies the Standard Webhooks signature and keeps each delivery's summary — run,
 * cohort, version, batch, adds and removes — in `file` (one JSON line each, private to the
 * user), so what it received survives a restart.
 */
export function registerDemoInbox(app: FastifyInstance, secret: string, file: string): void {
  const received = readInbox(file);
  const seen = new Set(received.map((r) => r.webhookId));
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
    const delivery: ReceivedDelivery = {
      webhookId: id,
      receivedAt: new Date().toISOString(),
      ...(data.runId !== undefined ? { runId: data.runId } : {}),
      cohortId: data.cohortId,
      ...(data.version !== undefined ? { version: data.version } : {}),
      ...(data.batch !== undefined ? { batch: data.batch, batches: data.batches } : {}),
      adds: data.adds.length,
      removes: data.removes.length,
      duplicate: seen.has(id),
    };
    // Written before the acknowledgement: a delivery acknowledged is one the inbox still shows after a restart.
    fs.appendFileSync(file, `${JSON.stringify(delivery)}\n`, { mode: 0o600 });
    received.push(delivery);
    seen.add(id);
    if (received.length > 2 * KEPT) {
      received.splice(0, received.length - KEPT);
      fs.writeFileSync(file, received.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
    }
    return reply.code(204).send();
  });
  app.get<{ Querystring: { run?: string } }>('/demo/webhook-inbox', { schema: { hide: true } }, async (request) => {
    const run = request.query.run;
    return received
      .filter((r) => run === undefined || r.runId === run)
      .slice(-SHOWN)
      .reverse();
  });
}
