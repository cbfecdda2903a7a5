import { z } from 'zod';
import type { AuditChainReport as AuditChainReportType } from '../../governance/audit-chain';
import type { AuditCheckpoint as AuditCheckpointType } from '../../governance/audit-checkpoints';
import type { AuditEntry as AuditEntryType } from '../../governance/audit-log';
import type { CohortHistory as CohortHistoryType } from '../../governance/cohort-history';
import type { Note as NoteType } from '../../governance/learnings';
import { CohortId, CohortParams, ErrorBody, guarded, RunId, RunParams, same, type Same } from './common';
import { route } from './contract';

// The governance trail: the audit log and its hash chain, notes on runs and cohorts (the
// learnings library), and a cohort's changelog of published versions.

const CheckpointSummary = z.object({
  keyId: z.string(),
  rowId: z.number(),
  hash: z.string(),
  rows: z.number(),
  at: z.string(),
});

export const AuditCheckpoint = CheckpointSummary.extend({ v: z.literal(1), signature: z.string() });

export const AuditChainReport = z.object({
  ok: z.boolean(),
  rows: z.number(),
  brokenAt: z
    .object({
      id: z.number(),
      reason: z.enum([
        'hash mismatch',
        'prev_hash does not match the previous row',
        'differs from a signed checkpoint',
        'a checkpointed row is missing',
        'the log ends before a signed checkpoint',
      ]),
      expected: z.string(),
      found: z.string().nullable(),
      checkpoint: CheckpointSummary.optional().meta({
        description: 'The signed checkpoint the log no longer matches.',
      }),
      intactUpTo: z.number().optional().meta({
        description: 'The row of the last checkpoint the log still matches (0: none): the change lies after it.',
      }),
      logEnd: z
        .object({ rowId: z.number(), hash: z.string() })
        .nullable()
        .optional()
        .meta({ description: 'For a truncated log: its last row now.' }),
    })
    .optional(),
  checkpoints: z
    .object({
      file: z.string().optional(),
      signed: z.number().meta({ description: 'Checkpoints that verified against a trusted key.' }),
      refused: z.array(z.object({ line: z.number(), reason: z.string() })),
      latest: CheckpointSummary.optional(),
      uncovered: z.number().meta({ description: 'Rows after the latest checkpoint, covered by the hash chain only.' }),
    })
    .optional()
    .meta({ description: 'Present when this API process holds the audit keys: what the log was checked against.' }),
});

export const AuditEntry = z.object({
  id: z.number(),
  at: z.string(),
  runId: z.string().nullable(),
  actor: z.string(),
  action: z.string(),
  details: z.record(z.string(), z.unknown()),
  hash: z.string(),
});

export const Note = z
  .object({
    id: z.number(),
    runId: z.string().nullable(),
    cohortId: z.string().nullable(),
    author: z.string(),
    text: z.string(),
    at: z.string(),
  })
  .meta({ id: 'Note' });
export type Note = z.output<typeof Note>;

const VersionBrief = z.object({
  version: z.number(),
  change: z.enum(['create', 'update', 'deprecate', 'delete']),
  author: z.string(),
  rationale: z.string(),
  createdAt: z.string(),
});

export const PublishedVersionEntry = z.object({
  version: z.number(),
  publishedAt: z.string(),
  runId: z.string(),
  requestedBy: z.string().nullable(),
  rationale: z.string().nullable(),
  snapshotId: z.string().nullable(),
  previousSnapshotId: z.string().nullable(),
  size: z.number(),
  previousSize: z.number().nullable(),
  adds: z.number(),
  removes: z.number(),
  definition: VersionBrief.extend({
    previousVersion: z.number().nullable(),
    changed: z.boolean(),
    diff: z.array(z.object({ path: z.string(), before: z.unknown().optional(), after: z.unknown().optional() })),
    recordedSince: z.array(VersionBrief),
  }),
  approvedBy: z.string(),
  approvals: z.array(
    z.object({
      actor: z.string(),
      action: z.string(),
      at: z.string(),
      comment: z.string().nullable(),
      cohorts: z.array(z.string()).optional(),
    }),
  ),
  report: z
    .object({
      verdict: z.string(),
      reasons: z.array(
        z.object({ name: z.string(), subject: z.string().optional(), verdict: z.string(), reason: z.string() }),
      ),
    })
    .nullable(),
  notes: z.array(Note),
  rollback: z.object({ restoresVersion: z.number().nullable(), reason: z.string().nullable() }).optional(),
});

export type PublishedVersionEntry = z.output<typeof PublishedVersionEntry>;

export const CohortHistory = z.object({ cohortId: z.string(), versions: z.array(PublishedVersionEntry) });

export const verifyAudit = route({
  method: 'GET',
  url: '/audit/verify',
  roles: ['viewer'],
  tags: ['governance'],
  summary:
    'Recompute every hash of the audit chain and compare it with the signed checkpoints: ok, or the first row where it breaks, is rewritten or cut off',
  schema: { response: { 200: AuditChainReport, ...guarded } },
});

export const writeAuditCheckpoint = route({
  method: 'POST',
  url: '/audit/checkpoints',
  roles: ['operator'],
  tags: ['governance'],
  summary: "Sign the audit log's head now and append it to the checkpoint file",
  description:
    '201 with the checkpoint; 200 with checkpoint null when the log is empty; 409 when this API process signs no checkpoints.',
  schema: {
    response: {
      200: z.object({ checkpoint: z.null(), file: z.string() }),
      201: z.object({ checkpoint: AuditCheckpoint, file: z.string() }),
      ...guarded,
      409: ErrorBody,
    },
  },
});

export const listAudit = route({
  method: 'GET',
  url: '/audit',
  roles: ['viewer'],
  tags: ['governance'],
  summary: 'The latest audit entries matching every filter given (run, cohort, actor, action), oldest first',
  schema: {
    querystring: z
      .object({
        run: RunId.optional(),
        cohort: CohortId.optional().meta({ description: 'Entries naming this cohort anywhere in their details.' }),
        actor: z.string().trim().min(1).max(200).optional(),
        action: z
          .string()
          .regex(/^[a-z][a-z._-]{0,80}$/, 'an action such as decision.approved, or a family such as decision')
          .optional(),
        limit: z.coerce.number().int().min(1).max(1000).default(100),
      })
      .strict(),
    response: { 200: z.object({ entries: z.array(AuditEntry) }), ...guarded },
  },
});

const NoteBody = z
  .object({
    text: z
      .string()
      .trim()
      .min(1, 'write the note: text is empty')
      .max(4000, 'a note holds at most 4000 characters; link to a longer document'),
  })
  .strict();
const Notes = z.object({ notes: z.array(Note) });

const notesOn = (subject: 'runs' | 'cohorts') => {
  const params = subject === 'runs' ? RunParams : CohortParams;
  const url = `/${subject}/:id/notes`;
  const what = subject === 'runs' ? 'a run' : 'a cohort';
  return {
    add: route({
      method: 'POST',
      url,
      roles: ['analyst', 'approver'],
      tags: ['governance'],
      summary: `Add a note on ${what} (audited)`,
      schema: { params, body: NoteBody, response: { 201: Note, ...guarded, 404: ErrorBody } },
    }),
    list: route({
      method: 'GET',
      url,
      roles: ['viewer'],
      tags: ['governance'],
      summary: `The notes on ${what}, oldest first`,
      schema: { params, response: { 200: Notes, ...guarded, 404: ErrorBody } },
    }),
  };
};
export const runNotes = notesOn('runs');
export const cohortNotes = notesOn('cohorts');

export const cohortHistory = route({
  method: 'GET',
  url: '/cohorts/:id/history',
  roles: ['viewer'],
  tags: ['governance'],
  summary: 'The published versions, newest first: sizes, adds/removes, definition diff, approvals, top reasons, notes',
  schema: {
    params: CohortParams,
    querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }).strict(),
    response: { 200: CohortHistory, ...guarded, 404: ErrorBody },
  },
});

same<Same<z.output<typeof AuditChainReport>, AuditChainReportType>>(true);
same<Same<z.output<typeof AuditCheckpoint>, AuditCheckpointType>>(true);
same<Same<z.output<typeof AuditEntry>, AuditEntryType>>(true);
same<Same<z.output<typeof Note>, NoteType>>(true);
same<Same<z.output<typeof CohortHistory>, CohortHistoryType>>(true);
