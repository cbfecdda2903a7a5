import { z } from 'zod';
import { route } from './contract';

// The service itself: whether it is up, and where its reference lives.

export const health = route({
  method: 'GET',
  url: '/health',
  roles: null,
  tags: ['service'],
  summary: 'Whether the API is up',
  schema: { response: { 200: z.object({ ok: z.literal(true) }) } },
});

export const serviceIndex = route({
  method: 'GET',
  url: '/',
  roles: null,
  tags: ['service'],
  summary: 'What this service is and where its API reference lives',
  schema: {
    response: {
      200: z.object({
        service: z.literal('cohortflow'),
        description: z.string(),
        links: z.object({ docs: z.string(), openapi: z.string(), health: z.string() }),
      }),
    },
  },
});
