import { z } from 'zod';
import type { DestinationOverview as DestinationOverviewType } from '../../delivery/destination-overview';
import { guarded, same, type Same } from './common';
import { route } from './contract';

// Every destination at a glance: where its cursor stands per cohort, what is pending, what its
// last delivery held back, and whether it is disabled.

export const DestinationOverview = z.object({
  name: z.string(),
  kind: z.string().nullable(),
  purpose: z.string().nullable(),
  configured: z.boolean(),
  disabled: z.object({ at: z.string(), reason: z.string().nullable() }).nullable(),
  cohorts: z.array(
    z.object({
      cohortId: z.string(),
      publishedVersion: z.number().nullable(),
      cursor: z.object({ version: z.number(), acknowledgedAt: z.string() }).nullable(),
      behind: z.boolean(),
      pendingDeliveries: z.number(),
      pendingBatches: z.number(),
      failedAttempts: z.number(),
      lastError: z.string().nullable(),
      lastDelivery: z
        .object({
          version: z.number(),
          label: z.string(),
          status: z.string(),
          plannedAt: z.string(),
          heldBack: z.number(),
        })
        .nullable(),
    }),
  ),
});

export const listDestinations = route({
  method: 'GET',
  url: '/deliveries',
  roles: ['viewer'],
  tags: ['runs'],
  summary:
    'Every destination: per cohort its cursor against the published version, pending batches, held-back members; disabled ones',
  schema: { response: { 200: z.object({ destinations: z.array(DestinationOverview) }), ...guarded } },
});

same<Same<z.output<typeof DestinationOverview>, DestinationOverviewType>>(true);
