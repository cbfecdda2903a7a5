import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { createApi } from '../../src/api/server';
import type { CohortDeps } from '../../src/api/server';
import type { TokenGrant } from '../../src/config';
import type { Destination } from '../../src/destinations/destination';
import { createLogger } from '../../src/log';
import { RefreshClient } from '../../src/temporal/refresh-client';

export interface ListeningApi {
  base: string;
  close(): Promise<void>;
}

/**
 * The real HTTP API on a free local port, for routes that read Postgres only: its Temporal
 * connection is lazy and points nowhere, so a route that did dial Temporal would fail loudly.
 */
export async function listenApi(
  cohorts: CohortDeps,
  tokens: Record<string, TokenGrant>,
  destinations: Destination[] = [],
): Promise<ListeningApi> {
  const temporal = Connection.lazy({ address: '127.0.0.1:1' });
  const api = createApi({
    refreshes: new RefreshClient(new Client({ connection: temporal }), 'api-test', { approvers: [], deadline: '72h' }),
    cohorts,
    tokens,
    log: createLogger('silent'),
    destinations: () => destinations,
  });
  await api.listen({ host: '127.0.0.1', port: 0 });
  return {
    base: `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`,
    async close() {
      await api.close();
      await temporal.close();
    },
  };
}
