import { z } from 'zod';
import type {
  CheckResult as CheckResultType,
  IngestSummary as IngestSummaryType,
  SourceReport as SourceReportType,
} from '../../shared';
import { same, type Same } from './common';

// Checks and ingest reports as answers carry them (the types of src/shared, as schemas).

export const Verdict = z.enum(['pass', 'warn', 'fail']);

export const CheckName = z.enum([
  'min_size',
  'empty',
  'size_shift',
  'size_vs_baseline',
  'churn',
  'blast_radius',
  'drift',
  'value_shift',
  'definition_change',
  'freshness',
  'volume',
  'quarantine_rate',
  'null_rate',
  'bad_files',
]);

const NullableCount = z.number().nullable();

/** How a promoted definition behaved as a shadow beside the live one, run by run. */
export const ShadowEvidence = z
  .object({
    shadowId: z.string(),
    version: z.number(),
    proposedBy: z.string(),
    promotedBy: z.string(),
    runs: z.array(
      z.object({
        runId: z.string(),
        asOf: z.string().nullable(),
        liveSize: NullableCount,
        shadowSize: NullableCount,
        overlap: NullableCount,
        adds: NullableCount,
        removes: NullableCount,
        jaccard: NullableCount,
        verdict: Verdict.nullable(),
        liveVerdict: Verdict.nullable(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'ShadowEvidence' });

export const CheckResult = z
  .object({
    name: CheckName,
    subject: z.string().optional(),
    verdict: Verdict,
    reason: z.string().meta({ description: 'One line a person reads: the figure, the threshold, the direction.' }),
    figures: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
    thresholds: z.record(z.string(), z.number()),
    details: z
      .object({
        diff: z
          .array(z.object({ path: z.string(), before: z.unknown().optional(), after: z.unknown().optional() }))
          .optional(),
        versions: z
          .array(z.object({ version: z.number(), author: z.string(), change: z.string(), rationale: z.string() }))
          .optional(),
        upstream: z
          .array(
            z.object({
              cohortId: z.string(),
              fromVersion: z.number().nullable(),
              toVersion: z.number(),
              authors: z.array(z.string()),
            }),
          )
          .optional(),
        shadows: z.array(ShadowEvidence).optional(),
        buckets: z.array(z.object({ bucket: z.string(), previous: z.number(), current: z.number() })).optional(),
      })
      .optional(),
  })
  .meta({ id: 'CheckResult' });
export type CheckResult = z.output<typeof CheckResult>;

export const FlaggedCheck = CheckResult.pick({ name: true, subject: true, verdict: true, reason: true });

const IngestCounts = {
  filesRead: z.number(),
  filesSkipped: z.number(),
  rowsRead: z.number(),
  stored: z.number(),
  duplicates: z.number(),
  quarantined: z.number(),
  /** Refused: the row named an identifier of an erased customer. rowsRead = stored + duplicates + quarantined + erased. */
  erased: z.number(),
  /** Files quarantined whole (not text, truncated or corrupt gzip, unreadable); absent in reports made before. */
  filesQuarantined: z.number().optional(),
};

export const QuarantinedFile = z
  .object({
    source: z.string(),
    file: z.string(),
    sha256: z.string().meta({ description: "The file content's SHA-256; empty when it could not be read to hash it." }),
    reason: z.string(),
    bytesRead: z.number().meta({ description: 'Bytes of the file (as stored) read before the fault.' }),
    rowsRead: z.number().meta({ description: 'Rows read from it before the fault, counted in the report as usual.' }),
    runId: z.string().meta({ description: 'The run that quarantined it.' }),
    skipped: z.boolean().meta({ description: 'Quarantined by an earlier run; this run skipped it.' }),
  })
  .meta({ id: 'QuarantinedFile' });

export const SourceReport = z
  .object({ ...IngestCounts, source: z.string(), kind: z.string(), verdict: Verdict, checks: z.array(CheckResult) })
  .meta({ id: 'SourceReport' });

export const IngestSummary = z.object({
  ...IngestCounts,
  runId: z.string(),
  lateAttributed: z.number(),
  watermarks: z.record(z.string(), z.string()),
  sources: z.array(SourceReport),
  quarantinedFiles: z.array(QuarantinedFile).optional(),
});

export const CohortReport = z.object({
  cohortId: z.string(),
  snapshotId: z.string(),
  verdict: Verdict,
  checks: z.array(FlaggedCheck),
  changedBy: z.array(z.string()).optional(),
  upstreamChanges: z.array(z.object({ cohortId: z.string(), authors: z.array(z.string()) })).optional(),
});

same<Same<z.output<typeof CheckResult>, CheckResultType>>(true);
same<Same<z.output<typeof SourceReport>, SourceReportType>>(true);
same<Same<z.output<typeof IngestSummary>, IngestSummaryType>>(true);
