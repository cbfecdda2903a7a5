import type { Db, Queryable } from '../data/db';
import { appendAudit } from '../data/audit';

// The learnings library: what analysts and approvers noticed about a run or a cohort. Every
// note is also an audit row, so the trail shows it even though notes themselves are plain rows.

export type NoteSubject = { runId: string } | { cohortId: string };

export interface Note {
  id: number;
  runId: string | null;
  cohortId: string | null;
  author: string;
  text: string;
  at: string;
}

interface NoteRow {
  id: number;
  run_id: string | null;
  cohort_id: string | null;
  author: string;
  text: string;
  at: Date;
}

export const noteOf = (x: NoteRow): Note => ({
  id: x.id,
  runId: x.run_id,
  cohortId: x.cohort_id,
  author: x.author,
  text: x.text,
  at: x.at.toISOString(),
});

/** Whether the subject exists: a registered run, or a cohort with a recorded definition. */
export async function subjectExists(db: Queryable, subject: NoteSubject): Promise<boolean> {
  const r =
    'runId' in subject
      ? await db.query('SELECT 1 FROM runs WHERE run_id = $1', [subject.runId])
      : await db.query('SELECT 1 FROM cohort_definitions WHERE cohort_id = $1 LIMIT 1', [subject.cohortId]);
  return (r.rowCount ?? 0) > 0;
}

/** Stores the note and its note.added audit row in one transaction. */
export async function addNote(db: Db, subject: NoteSubject, note: { author: string; text: string }): Promise<Note> {
  const runId = 'runId' in subject ? subject.runId : null;
  const cohortId = 'cohortId' in subject ? subject.cohortId : null;
  return db.transaction(async (tx) => {
    const r = await tx.query<NoteRow>(
      'INSERT INTO learnings (run_id, cohort_id, author, text) VALUES ($1, $2, $3, $4) RETURNING *',
      [runId, cohortId, note.author, note.text],
    );
    const added = noteOf(r.rows[0]!);
    await appendAudit(tx, {
      key: `note:${added.id}`,
      runId,
      actor: note.author,
      action: 'note.added',
      details: { noteId: added.id, ...(cohortId ? { cohortId } : {}), text: note.text },
    });
    return added;
  });
}

/** Every note on the subject, oldest first. */
export async function notesOn(db: Queryable, subject: NoteSubject): Promise<Note[]> {
  const r =
    'runId' in subject
      ? await db.query<NoteRow>('SELECT * FROM learnings WHERE run_id = $1 ORDER BY at, id', [subject.runId])
      : await db.query<NoteRow>('SELECT * FROM learnings WHERE cohort_id = $1 ORDER BY at, id', [subject.cohortId]);
  return r.rows.map(noteOf);
}
