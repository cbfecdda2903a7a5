import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CohortDefinition } from '../cohorts/definition';
import type { TokenGrant } from '../config';
import type { Db } from '../data/db';
import { verifyAuditChain, type AuditChainReport } from '../governance/audit-chain';
import type { AuditCheckpoint, AuditCheckpointStore } from '../governance/audit-checkpoints';
import { auditEntries, type AuditEntry } from '../governance/audit-log';
import { cohortHistory, cohortKnown, type CohortHistory } from '../governance/cohort-history';
import { addNote, notesOn, subjectExists, type Note, type NoteSubject } from '../governance/learnings';
import { requireAnyRole, requireRole } from './auth';
import { ApiRefusal } from './cohorts';

// The governance trail over HTTP: verifying and reading the audit log, the learnings library
// (notes on runs and cohorts) and a cohort's changelog of published versions.

const RunId = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a workflow id');
const RunParams = z.object({ id: RunId }).strict();
const CohortParams = z.object({ id: CohortDefinition.shape.id }).strict();
const AuditQuery = z
  .object({ run: RunId.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) })
  .strict();
const HistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }).strict();
const NoteBody = z
  .object({
    text: z
      .string()
      .trim()
      .min(1, 'write the note: text is empty')
      .max(4000, 'a note holds at most 4000 characters; link to a longer document'),
  })
  .strict();

// What the routes answer: the CLI reads the same types.
export type AuditVerifyAnswer = AuditChainReport;
export interface AuditCheckpointAnswer {
  /** The checkpoint written; null when the log is empty. */
  checkpoint: AuditCheckpoint | null;
  file: string;
}
export interface AuditListing {
  entries: AuditEntry[];
}
export interface NotesAnswer {
  notes: Note[];
}
export type CohortHistoryAnswer = CohortHistory;

const subjectName = (subject: NoteSubject) =>
  'runId' in subject ? `run "${subject.runId}"` : `cohort "${subject.cohortId}"`;

export function registerGovernanceRoutes(
  app: FastifyInstance,
  db: Db,
  tokens: Record<string, TokenGrant>,
  checkpoints?: AuditCheckpointStore,
): void {
  const viewer = requireRole(tokens, 'viewer');
  const noteTaker = requireAnyRole(tokens, ['analyst', 'approver']);

  app.get('/audit/verify', { preHandler: viewer }, async (): Promise<AuditVerifyAnswer> =>
    verifyAuditChain(db, checkpoints ? { checkpoints: { file: checkpoints.file, ...checkpoints.read() } } : {}),
  );

  app.post('/audit/checkpoints', { preHandler: requireRole(tokens, 'operator') }, async (_, reply) => {
    if (!checkpoints)
      throw new ApiRefusal(409, 'not_configured', 'this API process signs no audit checkpoints (no signing key)');
    const checkpoint = (await checkpoints.write(db, { force: true })) ?? null;
    const answer: AuditCheckpointAnswer = { checkpoint, file: checkpoints.file };
    return reply.code(checkpoint ? 201 : 200).send(answer);
  });

  app.get('/audit', { preHandler: viewer }, async (request): Promise<AuditListing> => {
    const query = AuditQuery.parse(request.query ?? {});
    return { entries: await auditEntries(db, { runId: query.run, limit: query.limit }) };
  });

  const known = async (subject: NoteSubject) => {
    if (!(await subjectExists(db, subject))) {
      throw new ApiRefusal(
        404,
        'not_found',
        'runId' in subject ? `no run "${subject.runId}"` : `no cohort "${subject.cohortId}" has a recorded definition`,
      );
    }
    return subject;
  };
  const subjects = [
    { route: '/runs/:id/notes', subject: (params: unknown): NoteSubject => ({ runId: RunParams.parse(params).id }) },
    {
      route: '/cohorts/:id/notes',
      subject: (params: unknown): NoteSubject => ({ cohortId: CohortParams.parse(params).id }),
    },
  ];
  for (const { route, subject } of subjects) {
    app.post(route, { preHandler: noteTaker }, async (request, reply) => {
      const about = subject(request.params);
      const { text } = NoteBody.parse(request.body ?? {});
      const note = await addNote(db, await known(about), { author: request.caller!.user, text });
      request.log.info({ noteId: note.id, about: subjectName(about) }, 'note added');
      return reply.code(201).send(note);
    });
    app.get(route, { preHandler: viewer }, async (request): Promise<NotesAnswer> => ({
      notes: await notesOn(db, await known(subject(request.params))),
    }));
  }

  app.get('/cohorts/:id/history', { preHandler: viewer }, async (request): Promise<CohortHistoryAnswer> => {
    const { id } = CohortParams.parse(request.params);
    const { limit } = HistoryQuery.parse(request.query ?? {});
    if (!(await cohortKnown(db, id)))
      throw new ApiRefusal(404, 'not_found', `no cohort "${id}" was ever recorded or published`);
    return cohortHistory(db, id, { limit });
  });
}
