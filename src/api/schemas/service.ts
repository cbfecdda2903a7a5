import { z } from 'zod';
import { ErrorBody } from './common';
import { route } from './contract';

// The service itself: whether it is up, and where its reference lives.

const HealthCheck = z.object({
  ok: z.boolean(),
  detail: z.string().optional().meta({ description: 'Why not, in a few words (details are in the log).' }),
});

const HealthReport = (ok: boolean) =>
  z.object({
    ok: z.literal(ok),
    checks: z.object({
      postgres: HealthCheck.meta({ description: 'PostgreSQL answers SELECT 1 within 2 s.' }),
      temporal: HealthCheck.meta({ description: 'The Temporal frontend answers within 2 s.' }),
      worker: HealthCheck.meta({
        description: 'A worker polled both the workflow and the activity task queue in the last minute.',
      }),
    }),
  });

export const health = route({
  method: 'GET',
  url: '/health',
  roles: null,
  tags: ['service'],
  summary: 'Whether PostgreSQL, Temporal and a worker are there: 200 when all are, 503 naming the one missing',
  schema: { response: { 200: HealthReport(true), 503: HealthReport(false) } },
});

export const serviceIndex = route({
  method: 'GET',
  url: '/',
  roles: null,
  tags: ['service'],
  summary: 'What this service is and where its API reference lives',
  description:
    'A browser asking for text/html gets the dashboard (a single page; its routes follow #, e.g. /#/runs); any other client gets this JSON index.',
  schema: {
    response: {
      200: z.object({
        service: z.literal('cohortflow'),
        description: z.string(),
        links: z.object({ docs: z.string(), openapi: z.string(), health: z.string(), dashboard: z.string() }),
      }),
    },
  },
});

export const metrics = route({
  method: 'GET',
  url: '/metrics',
  roles: ['viewer'],
  tags: ['service'],
  summary: 'Prometheus metrics of the installation: health, runs, ingest, cohorts, deliveries, approvals, audit chain',
  description:
    "The Prometheus text format (`text/plain; version=0.0.4`), read from PostgreSQL and Temporal at most every 5 s; the audit chain is verified at most every 5 minutes. A worker serves the SDK's own metrics on its own address (WORKER_METRICS_ADDRESS).",
  schema: {
    response: {
      200: {
        content: {
          'text/plain; version=0.0.4': {
            schema: z.string().meta({ description: 'Prometheus text exposition format.' }),
          },
        },
      },
      401: ErrorBody,
      403: ErrorBody,
    },
  },
});
