import { z } from 'zod';
import { CohortDefinition } from '../../cohorts/definition';

// Pieces every resource's schemas use: identifiers, time parameters and the error body.

export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a workflow id')
  .meta({
    description: 'A run: the workflow id of a refresh or rollback run.',
    example: 'refresh-adhoc-20260301T060000-1a2b3c',
  });
/** A refresh run's workflow id; a rollback run's id is refused here with where to send it. */
export const RefreshId = RunId.refine((id) => id.startsWith('refresh-'), {
  message: 'a refresh run id (refresh-…); a rollback run (rollback-…) is at /rollbacks/:id',
}).meta({ description: 'A refresh run: its workflow id.', example: 'refresh-adhoc-20260301T060000-1a2b3c' });
/** A rollback run's workflow id; a refresh run's id is refused here with where to send it. */
export const RollbackRunId = RunId.refine((id) => id.startsWith('rollback-'), {
  message: 'a rollback run id (rollback-…); a refresh run (refresh-…) is at /refreshes/:id',
}).meta({ description: 'A rollback run: its workflow id.', example: 'rollback-at-risk-paid-to-v1-1' });
export const CohortId = CohortDefinition.shape.id.meta({ description: 'A cohort id.', example: 'at-risk-paid' });

export const RunParams = z.object({ id: RunId }).strict();
export const RefreshParams = z.object({ id: RefreshId }).strict();
export const RollbackParams = z.object({ id: RollbackRunId }).strict();
export const CohortParams = z.object({ id: CohortId }).strict();

/** Years PostgreSQL and every client agree on; year 0000 parses in JavaScript and nowhere else. */
const plausibleMoment = (text: string) => {
  const year = new Date(text).getUTCFullYear();
  return year >= 1900 && year <= 9999;
};
const MOMENT_RANGE = 'a moment between the years 1900 and 9999';

/** An ISO time with offset within MOMENT_RANGE. */
export const Moment = z.iso.datetime({ offset: true }).refine(plausibleMoment, MOMENT_RANGE);

/** A moment to compute as of: an ISO time with offset, or a UTC day. */
export const AsOf = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
  .refine(plausibleMoment, MOMENT_RANGE)
  .meta({ description: 'As of this moment (ISO time, or a UTC day); default: now.' });

export const Issue = z.object({ path: z.string(), message: z.string() });

/** Every error answer: a stable code, a message a person can act on, and what the code carries. */
export const ErrorBody = z
  .object({
    error: z.string().meta({ description: 'A stable code, e.g. invalid_request, not_found, guardrail.' }),
    message: z.string(),
    /** invalid_request: every field that does not fit, with its path and the reason. */
    issues: z.array(Issue).optional(),
    /** invalid_definition: every problem, as file:line: path: reason. */
    problems: z.array(z.string()).optional(),
    /** referenced: the cohorts that build on this one. */
    referrers: z
      .array(z.object({ id: z.string(), status: z.enum(['active', 'deprecated']), file: z.string() }))
      .optional(),
    /** file_not_removed: the deletion version that was recorded. */
    version: z.number().int().optional(),
    /** refresh_running: the active run of the tier. */
    runId: z.string().optional(),
  })
  .meta({
    id: 'Error',
    description: 'An error: a stable code, a message a person can act on, and what the code carries.',
  });
export type ErrorBody = z.output<typeof ErrorBody>;

/** The errors a route with a role can answer besides its own. */
export const guarded = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody } as const;

/** Compile-time check that a schema's output and a type of the modules below have the same fields. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const same = <T extends true>(proof: T): T => proof;
