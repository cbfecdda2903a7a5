import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { version } from '../../package.json';
import { BEARER } from './route';

// The API describes itself: /openapi.json is generated from the routes' zod schemas as Fastify
// registers them, and /docs renders it with Swagger UI's files shipped in the npm package, so
// the reference works on a machine without internet.

const DESCRIPTION = `Start, inspect and decide refresh runs; manage and inspect the cohort catalog; read reports,
deliveries, the audit trail and notes. Every route but \`/\`, \`/health\` and this reference needs
\`Authorization: Bearer <token>\`; tokens map to a user and roles (viewer, operator, approver,
analyst, admin = all). Errors are JSON \`{ error, message, … }\`: \`invalid_request\` (400) lists every
field that does not fit with its path and reason.`;

/**
 * Sources the reference page may load from: this server only, never a CDN. Without
 * upgrade-insecure-requests, which would send a page served over plain http (a LAN address)
 * looking for its own files over https.
 */
const selfOnly = (csp: string) =>
  csp
    .replace(/ https:/g, '')
    .replace(/ validator\.swagger\.io/g, '')
    .replace(/\s*upgrade-insecure-requests;?/g, '');

/** Registers the document and the reference page; call it before the routes, whose registration it watches. */
export function registerOpenApi(app: FastifyInstance): void {
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'cohortflow API', version, description: DESCRIPTION },
      components: {
        securitySchemes: {
          [BEARER]: {
            type: 'http',
            scheme: 'bearer',
            description: 'A token from COHORTFLOW_TOKENS (or .data/demo-tokens.json).',
          },
        },
      },
      tags: [
        { name: 'service', description: 'The service itself' },
        { name: 'refreshes', description: 'Refresh runs: start, status, decisions' },
        { name: 'rollbacks', description: 'Rollbacks in a watch window, and rollback runs' },
        { name: 'catalog', description: 'Cohort definitions and their recorded versions' },
        { name: 'inspection', description: 'A cohort computed now, publishing nothing' },
        { name: 'models', description: 'Predictive model versions: list, show, fit on demand (proposed only)' },
        { name: 'runs', description: 'What a run found and delivered' },
        { name: 'governance', description: 'Audit trail, notes, published history' },
        { name: 'privacy', description: 'Erasure requests' },
        { name: 'experiments', description: 'Experiments and holdouts on cohorts: create, report, plan' },
        { name: 'schedules', description: 'Calendar-aware refresh schedules and freeze windows' },
        { name: 'session', description: 'Dashboard sign-in: a token exchanged for a session cookie' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    transformStaticCSP: selfOnly,
    uiConfig: { deepLinking: true, docExpansion: 'list' },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
