import { z } from 'zod';
import type { RunReport as RunReportType } from '../../baseline/report-store';
import type { VersionDelivery as VersionDeliveryType } from '../../delivery/deliver-version';
import type { DeliveryStatus as DeliveryStatusType } from '../../delivery/delivery-status';
import type { ErasureReport as ErasureReportType } from '../../privacy/erase';
import type { RunQuarantine as RunQuarantineType } from '../../shared';
import { CheckResult, QuarantinedFile, SourceReport, Verdict } from './checks';
import { CohortParams, ErrorBody, guarded, RunParams, same, type Same } from './common';
import { route } from './contract';

// What a run found and delivered (read from Postgres, so it stays readable after its workflow
// is gone), re-sending what destinations missed, and erasure requests.

export const RunReport = z.object({
  runId: z.string(),
  asOf: z.string().nullable(),
  sources: z.array(SourceReport),
  cohorts: z.array(
    z.object({
      cohortId: z.string(),
      snapshotId: z.string(),
      tier: z.string(),
      verdict: Verdict,
      comparedTo: z.object({ snapshotId: z.string(), version: z.number() }).nullable(),
      baseline: z.object({ snapshots: z.number() }),
      checks: z.array(CheckResult),
      changedBy: z.array(z.string()),
    }),
  ),
});

export type RunReport = z.output<typeof RunReport>;

export const DeliveryStatus = z.object({
  runId: z.string(),
  deliveries: z.array(
    z.object({
      cohortId: z.string(),
      version: z.number(),
      destination: z.string(),
      label: z.string(),
      status: z.enum(['pending', 'acknowledged']),
      fromVersion: z.number().nullable(),
      adds: z.number(),
      removes: z.number(),
      suppressed: z.number(),
      heldOut: z
        .number()
        .meta({ description: "Members of the running experiment's holdout, held back (activation destinations)." }),
      cursor: z.object({ version: z.number(), acknowledgedAt: z.string() }).nullable(),
      batches: z.array(
        z.object({
          batch: z.number(),
          id: z.string(),
          adds: z.number(),
          removes: z.number(),
          status: z.string(),
          attempts: z.number(),
          lastStatus: z.number().nullable(),
          lastError: z.string().nullable(),
          deliveredAt: z.string().nullable(),
        }),
      ),
    }),
  ),
  disabledDestinations: z.array(
    z.object({ destination: z.string(), disabledAt: z.string(), reason: z.string().nullable() }),
  ),
});

export type DeliveryStatus = z.output<typeof DeliveryStatus>;

export const VersionDelivery = z.object({
  destination: z.string(),
  deliveryId: z.string().optional(),
  adds: z.number(),
  removes: z.number(),
  suppressed: z.number(),
  delivered: z.boolean(),
  alreadyDelivered: z.boolean(),
  disabled: z.boolean().optional(),
});

export const ErasureReport = z.object({
  customerId: z.string(),
  erasedAt: z.string(),
  alreadyErased: z.boolean(),
  rowsDeleted: z.record(z.string(), z.number()),
  snapshots: z.number(),
  removals: z.array(
    z.object({ cohortId: z.string(), destination: z.string(), delivered: z.boolean(), error: z.string().optional() }),
  ),
});

export type ErasureReport = z.output<typeof ErasureReport>;

export const runReport = route({
  method: 'GET',
  url: '/runs/:id/report',
  roles: ['viewer'],
  tags: ['runs'],
  summary: "A run's baseline report: source verdicts, then every check of every cohort with figures and thresholds",
  schema: { params: RunParams, response: { 200: RunReport, ...guarded, 404: ErrorBody } },
});

export const RunQuarantine = z
  .object({
    runId: z.string(),
    files: z.array(QuarantinedFile).meta({ description: 'Files the run quarantined whole.' }),
    rows: z.array(
      z.object({
        source: z.string(),
        file: z.string(),
        line: z.number(),
        reason: z.string(),
        raw: z.string().meta({
          description: 'At most 64 KiB of the row, whole characters; bytes that are not UTF-8 text written as \\xNN.',
        }),
        rawLength: z
          .number()
          .nullable()
          .meta({ description: "The row's full length in bytes (null: quarantined before lengths were kept)." }),
        rawTruncated: z.boolean().meta({ description: 'Whether raw holds less than the whole row.' }),
        rawBytesBase64: z
          .string()
          .nullable()
          .meta({ description: 'The exact bytes of a row that is not UTF-8 text (cut likewise), base64.' }),
      }),
    ),
    rowsTotal: z.number().meta({ description: 'Rows the run quarantined, all of them.' }),
  })
  .meta({ id: 'RunQuarantine' });

export const runQuarantine = route({
  method: 'GET',
  url: '/runs/:id/quarantine',
  // Raw rows carry personal data (emails, ids): not for every viewer.
  roles: ['operator'],
  tags: ['runs'],
  summary: "What a run's ingest quarantined: whole files with the reason and bytes read, then rows with their length",
  schema: {
    params: RunParams,
    querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }).strict(),
    response: { 200: RunQuarantine, ...guarded, 404: ErrorBody },
  },
});

export const runDeliveries = route({
  method: 'GET',
  url: '/runs/:id/deliveries',
  roles: ['viewer'],
  tags: ['runs'],
  summary: "Per cohort × destination: the run's deliveries, their batches, the cursor, what was held back",
  schema: { params: RunParams, response: { 200: DeliveryStatus, ...guarded } },
});

export const reconcileCohort = route({
  method: 'POST',
  url: '/cohorts/:id/reconcile',
  roles: ['operator'],
  tags: ['runs'],
  summary: 'Re-send each destination the difference between what it acknowledged and the current version',
  description:
    '404 for a cohort never published or an unknown destination; 502 when a destination still fails (the next reconcile resumes it).',
  schema: {
    params: CohortParams,
    body: z.object({ destination: z.string().min(1).optional() }).strict(),
    response: {
      200: z.object({ cohortId: z.string(), deliveries: z.array(VersionDelivery) }),
      ...guarded,
      404: ErrorBody,
      502: ErrorBody,
    },
  },
});

export const eraseCustomer = route({
  method: 'POST',
  url: '/privacy/erasures',
  roles: ['admin'],
  tags: ['privacy'],
  summary: "Delete a customer's personal data and remove them from every stored snapshot (irreversible, audited)",
  schema: {
    body: z
      .object({
        customerId: z.string().trim().min(1).max(200),
        reason: z.string().trim().min(5, 'say why, e.g. the request reference'),
      })
      .strict(),
    response: { 200: ErasureReport, ...guarded, 404: ErrorBody, 409: ErrorBody },
  },
});

same<Same<z.output<typeof RunReport>, RunReportType>>(true);
same<Same<z.output<typeof DeliveryStatus>, DeliveryStatusType>>(true);
same<Same<z.output<typeof VersionDelivery>, VersionDeliveryType>>(true);
same<Same<z.output<typeof ErasureReport>, ErasureReportType>>(true);
same<Same<z.output<typeof RunQuarantine>, RunQuarantineType>>(true);
