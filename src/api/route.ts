import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { CatalogService } from '../cohorts/catalog-service';
import type { TokenGrant } from '../config';
import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { AuditCheckpointStore } from '../governance/audit-checkpoints';
import type { Logger } from '../log';
import type { RefreshClient } from '../temporal/refresh-client';
import { requireAnyRole } from './auth';
import type { SessionStore } from './session/store';
import type { RouteContract, RouteSchemas } from './schemas/contract';

/** The API's Fastify instance: handlers see the types of their routes' zod schemas. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** The bearer scheme every route with a role declares in the OpenAPI document. */
export const BEARER = 'bearer';

/**
 * A contract as Fastify route options: the schemas go into the route's options (validated by
 * Fastify, described in the OpenAPI document), the roles become an onRequest check.
 */
export function routeOptions<S extends RouteSchemas>(contract: RouteContract<S>, tokens: Record<string, TokenGrant>) {
  const { method, url, roles, summary, description, tags, schema } = contract;
  const needs = roles
    ? `Needs a bearer token with the ${roles.join(' or ')} role (admin has every role).`
    : 'Open: no token.';
  return {
    method,
    url,
    schema: {
      ...schema,
      summary,
      description: description ? `${description}\n\n${needs}` : needs,
      tags,
      operationId: `${method.toLowerCase()}${url.replace(/\/:?([a-z])/gi, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      ...(roles ? { security: [{ [BEARER]: [] }], 'x-roles': roles } : {}),
    },
    ...(roles ? { onRequest: requireAnyRole(tokens, roles) } : {}),
  };
}

/** What route handlers are given: the modules they delegate to, built once by createApi. */
export interface ApiDeps {
  refreshes: RefreshClient;
  db: Db;
  catalogDir: string;
  catalog: CatalogService;
  tokens: Record<string, TokenGrant>;
  log: Logger;
  /** The worker's destinations; read when asked, since `npm start` builds them after the API listens. */
  destinations: () => Destination[];
  /** Signed checkpoints of the audit log: what /audit/verify checks against and /audit/checkpoints writes. */
  auditCheckpoints?: AuditCheckpointStore;
  /** Dashboard sessions (sign-in, sign-out). */
  sessions: SessionStore;
  /** The Temporal Web UI, for links to runs; unset: none. */
  temporalUiUrl?: string;
}

/** One route (or one family of identical routes), registered from its contract. */
export type RouteModule = (app: ApiApp, deps: ApiDeps) => void;
