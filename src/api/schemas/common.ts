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
export const CohortId = CohortDefinition.shape.id.meta({ description: 'A cohort id.', example: 'at-risk-paid' });

export const RunParams = z.object({ id: RunId }).strict();
export const CohortParams = z.object({ id: CohortId }).strict();

/** A moment to compute as of: an ISO time with offset, or a UTC day. */
export const AsOf = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()])
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
