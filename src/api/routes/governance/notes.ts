import { addNote, notesOn, subjectExists, type NoteSubject } from '../../../governance/learnings';
import type { Db } from '../../../data/db';
import { callerOf } from '../../auth';
import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { cohortNotes, runNotes } from '../../schemas/governance';

// Notes on runs and on cohorts: the same two routes for either subject.

async function known(db: Db, subject: NoteSubject): Promise<NoteSubject> {
  if (!(await subjectExists(db, subject))) {
    throw ERRORS.notFound(
      'runId' in subject ? `no run "${subject.runId}"` : `no cohort "${subject.cohortId}" has a recorded definition`,
    );
  }
  return subject;
}

const route: RouteModule = (app, deps) => {
  for (const [contracts, subjectOf] of [
    [runNotes, (id: string): NoteSubject => ({ runId: id })],
    [cohortNotes, (id: string): NoteSubject => ({ cohortId: id })],
  ] as const) {
    app.route({
      ...routeOptions(contracts.add, deps.tokens),
      handler: async (request, reply) => {
        const about = await known(deps.db, subjectOf(request.params.id));
        const note = await addNote(deps.db, about, { author: callerOf(request).user, text: request.body.text });
        request.log.info({ noteId: note.id, ...about }, 'note added');
        return reply.code(201).send(note);
      },
    });
    app.route({
      ...routeOptions(contracts.list, deps.tokens),
      handler: async (request) => ({
        notes: await notesOn(deps.db, await known(deps.db, subjectOf(request.params.id))),
      }),
    });
  }
};
export default route;
