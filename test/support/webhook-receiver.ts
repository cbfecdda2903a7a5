import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  id: string;
  verified: boolean;
  body: {
    type: string;
    data: {
      cohortId: string;
      runId: string;
      version: number;
      snapshotId: string | null;
      adds: string[];
      removes: string[];
      size: number;
    };
  };
}

/** A real HTTP receiver that checks each delivery with the independent standardwebhooks library. */
export async function startWebhookReceiver(
  secret: string,
): Promise<{ url: string; received: ReceivedDelivery[]; close(): Promise<void> }> {
  const verifier = new Webhook(secret);
  const received: ReceivedDelivery[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const payload = Buffer.concat(chunks).toString('utf8');
      let verified = true;
      try {
        verifier.verify(payload, request.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      received.push({
        id: String(request.headers['webhook-id']),
        verified,
        body: JSON.parse(payload) as ReceivedDelivery['body'],
      });
      response.writeHead(verified ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/cohorts`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
