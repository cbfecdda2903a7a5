import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifySchemaCompiler } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { createCatalogService } from '../cohorts/catalog-service';
import type { TokenGrant } from '../config';
import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { AuditCheckpointStore } from '../governance/audit-checkpoints';
import type { Logger } from '../log';
import type { RefreshClient } from '../temporal/refresh-client';
import { msToNumber } from '@temporalio/common/lib/time';
import type { StringValue } from '@temporalio/common';
import { registerDashboard } from './dashboard/assets';
import { ERRORS, issuesOf, renderError } from './errors';
import { registerOpenApi } from './openapi';
import type { ApiDeps } from './route';
import { ROUTES } from './routes';
import { unstorableText } from './text-guard';
import { sessionPlugin } from './session/plugin';
import { sessionStore } from './session/store';

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
    const unstorable = unstorableText(data);
    if (unstorable.length > 0) return { error: ERRORS.invalidRequest(unstorable) };
    const result = schema.safeParse(httpPart === 'body' && data == null ? {} : data);
    return result.success ? { value: result.data } : { error: ERRORS.invalidRequest(issuesOf(result.error)) };
  };

/** What the dashboard's sessions and links need; every field has a default. */
export interface DashboardOptions {
  /** How long a sign-in lasts (default 8h). */
  sessionTtl?: StringValue;
  /** The Temporal Web UI for links to runs; unset: no links. */
  temporalUiUrl?: string;
  /** Fastify's trustProxy: believe X-Forwarded-Proto from these (a TLS proxy in front). */
  trustProxy?: boolean | string;
}

/**
 * The HTTP API: every route but the service's own needs a bearer token with the right role, or
 * the dashboard's session cookie (and, for a change, its CSRF token). Browsers get the dashboard at /.
 */
export function createApi(deps: {
  refreshes: RefreshClient;
  cohorts: CohortDeps;
  tokens: Record<string, TokenGrant>;
  log: Logger;
  destinations?: () => Destination[];
  /** Signed checkpoints of the audit log, written after every change made through the API. */
  auditCheckpoints?: AuditCheckpointStore;
  dashboard?: DashboardOptions;
}): FastifyInstance {
  const dashboard = deps.dashboard ?? {};
  const app = Fastify({
    loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger,
    trustProxy: dashboard.trustProxy ?? false,
  });
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
    auditCheckpoints: deps.auditCheckpoints,
    sessions: sessionStore(deps.cohorts.db, msToNumber(dashboard.sessionTtl ?? '8h')),
    temporalUiUrl: dashboard.temporalUiUrl,
  };
  app.register(sessionPlugin, { store: routeDeps.sessions, tokens: deps.tokens });
  registerDashboard(app);
  // A change through the API may have appended to the audit log: sign its head before answering,
  // so a rewrite of those rows is caught without waiting for the next run's checkpoint. The change
  // is committed already, so a checkpoint that fails is logged, not answered as an error.
  const checkpoints = deps.auditCheckpoints;
  if (checkpoints)
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.method !== 'GET' && reply.statusCode < 400)
        await checkpoints
          .write(deps.cohorts.db)
          .catch((err: unknown) => request.log.error({ err }, 'audit checkpoint not written'));
      return payload;
    });
  // The document is built from the routes as Fastify registers them: its plugin comes first.
  registerOpenApi(app);
  app.register(async (scope) => {
    const api = scope.withTypeProvider<ZodTypeProvider>();
    for (const route of ROUTES) route(api, routeDeps);
  });
  return app;
}
