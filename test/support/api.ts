import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { createApi, type CohortDeps, type DashboardOptions } from '../../src/api/server';
import type { TokenGrant } from '../../src/config';
import type { Destination } from '../../src/destinations/destination';
import { createLogger } from '../../src/log';
import { generateSigningKeyPem, signingKeyFrom } from '../../src/governance/proof-keys';
import { RefreshClient } from '../../src/temporal/refresh-client';

const TEST_API_SIGNER = signingKeyFrom(generateSigningKeyPem());

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** An answer as a client sees it: the status and untyped JSON. */
export interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: any;
}

export interface TestApi {
  app: FastifyInstance;
  /** One request through Fastify's inject: the whole HTTP pipeline (parsing, hooks, validation, serialisation) without a port. */
  call(method: Method, route: string, token: string | null, body?: unknown): Promise<Answer>;
  close(): Promise<void>;
}

/**
 * The real HTTP API, for routes that read Postgres only: its Temporal connection is lazy and
 * points nowhere, so a route that did dial Temporal would fail loudly.
 */
export async function testApi(
  cohorts: CohortDeps,
  tokens: Record<string, TokenGrant>,
  destinations: Destination[] = [],
  beforeReady?: (app: FastifyInstance) => void,
  dashboard?: DashboardOptions,
): Promise<TestApi> {
  const temporal = Connection.lazy({ address: '127.0.0.1:1' });
  const app = createApi({
    refreshes: new RefreshClient(new Client({ connection: temporal }), 'api-test', TEST_API_SIGNER),
    cohorts,
    tokens,
    log: createLogger('silent'),
    destinations: () => destinations,
    dashboard,
  });
  beforeReady?.(app);
  await app.ready();
  return {
    app,
    async call(method, route, token, body) {
      const response = await app.inject({
        method,
        url: route,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(body !== undefined ? { payload: body as object } : {}),
      });
      return {
        status: response.statusCode,
        headers: response.headers,
        body: response.body ? response.json() : undefined,
      };
    },
    async close() {
      await app.close();
      await temporal.close();
    },
  };
}

export interface ListeningApi extends TestApi {
  base: string;
}

/** The same API on a free local port, for tests that drive it from another process (the CLI). */
export async function listenApi(
  cohorts: CohortDeps,
  tokens: Record<string, TokenGrant>,
  destinations: Destination[] = [],
): Promise<ListeningApi> {
  const api = await testApi(cohorts, tokens, destinations);
  await api.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...api, base: `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}` };
}
