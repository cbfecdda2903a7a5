import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface BatchBody {
  cohortId: string;
  version: number;
  destination: string;
  batch: number;
  batches: number;
  adds: Array<Record<string, unknown>>;
  removes: Array<{ customer_id: string }>;
}

/**
 * What the receiver answers to its n-th request (1-based): a status and headers; 'hang' never
 * answers and stores nothing; `hang: true` stores the batch but never answers (a lost response).
 */
export type Answer = (
  n: number,
  body: BatchBody,
) => { status: number; headers?: Record<string, string>; hang?: boolean } | 'hang';

/**
 * A real HTTP receiver keyed on webhook-id, as the Standard Webhooks spec asks: a repeated id is
 * acknowledged and dropped. Verifies signatures with the independent standardwebhooks library.
 */
export async function startDeliveryReceiver(secret: string, answer: Answer = () => ({ status: 204 })) {
  const verifier = new Webhook(secret);
  const accepted = new Map<string, BatchBody>();
  const requests: Array<{ id: string; verified: boolean; batch: number }> = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const payload = Buffer.concat(chunks).toString('utf8');
      const id = String(request.headers['webhook-id']);
      let verified = true;
      try {
        verifier.verify(payload, request.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const body = (JSON.parse(payload) as { data: BatchBody }).data;
      requests.push({ id, verified, batch: body.batch });
      const a = answer(requests.length, body);
      if (a === 'hang') return;
      if (a.status < 300 && verified && !accepted.has(id)) accepted.set(id, body);
      if (a.hang) return;
      response.writeHead(verified ? a.status : 401, a.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cohorts`,
    requests,
    accepted,
    /** Customer ids added, over every accepted batch. */
    adds: () => [...accepted.values()].flatMap((b) => b.adds.map((a) => String(a.customer_id))),
    removes: () => [...accepted.values()].flatMap((b) => b.removes.map((r) => r.customer_id)),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
