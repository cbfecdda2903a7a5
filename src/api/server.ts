import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifySchemaCompiler } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { createCatalogService } from '../cohorts/catalog-service';
import type { TokenGrant } from '../config';
import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { Logger } from '../log';
import type { RefreshClient } from '../temporal/refresh-client';
import { ERRORS, issuesOf, renderError } from './errors';
import { registerOpenApi } from './openapi';
import type { ApiDeps } from './route';
import { ROUTES } from './routes';

export interface CohortDeps {
  db: Db;
  catalogDir: string;
}

/**
 * Every route's params, query and body are checked by its zod schema before the handler runs;
 * what does not fit is a 400 naming each field and why. A request without a body is an empty
 * one, so a body whose fields are all optional may be left out.
 */
const validatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(httpPart === 'body' && data == null ? {} : data);
    return result.success ? { value: result.data } : { error: ERRORS.invalidRequest(issuesOf(result.error)) };
  };

/** The HTTP API: every route but the service's own needs a bearer token with the right role. */
export function createApi(deps: {
  refreshes: RefreshClient;
  cohorts: CohortDeps;
  tokens: Record<string, TokenGrant>;
  log: Logger;
  destinations?: () => Destination[];
}): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(renderError);
  app.setNotFoundHandler((request, reply) => renderError(ERRORS.noRoute(request.method, request.url), request, reply));

  const routeDeps: ApiDeps = {
    refreshes: deps.refreshes,
    db: deps.cohorts.db,
    catalogDir: deps.cohorts.catalogDir,
    catalog: createCatalogService(deps.cohorts),
    tokens: deps.tokens,
    log: deps.log,
    destinations: deps.destinations ?? (() => []),
  };
  // The document is built from the routes as Fastify registers them: its plugin comes first.
  registerOpenApi(app);
  app.register(async (scope) => {
    const api = scope.withTypeProvider<ZodTypeProvider>();
    for (const route of ROUTES) route(api, routeDeps);
  });
  return app;
}
