import { useState } from 'preact/hooks';
import type { Answer } from '../../../src/api/schemas/contract';
import type { cohortVersions } from '../../../src/api/schemas/cohorts';
import type { cohortHistory, cohortNotes } from '../../../src/api/schemas/governance';
import { ApiFailure, enc, get, send } from '../api';
import { count, dateTime } from '../format';
import { useResource } from '../hooks';
import { href } from '../router';
import { may, useSession } from '../session';
import { Loaded, TableBox, Verdict } from '../ui';

type Published = Answer<typeof cohortHistory>['versions'][number];

const show = (v: unknown) => (v === undefined ? '–' : JSON.stringify(v));

function PublishedVersion({ v }: { v: Published }) {
  return (
    <li class="card version">
      <h3>
        v{v.version} · {dateTime(v.publishedAt)} · {count(v.size)} members (+{count(v.adds)} / −{count(v.removes)})
      </h3>
      <p>
        Run <a href={href('runs', v.runId)}>{v.runId}</a>
        {v.requestedBy && `, asked by ${v.requestedBy}`}
        {v.rationale && ` — “${v.rationale}”`}. Approved by <strong>{v.approvedBy}</strong>
        {v.approvals.map((a) => (a.comment ? `; ${a.actor}: “${a.comment}”` : '')).join('')}.
        {v.report && (
          <>
            {' '}
            Baseline verdict <Verdict verdict={v.report.verdict} />
          </>
        )}
      </p>
      {v.rollback && (
        <p class="notice">
          Rollback{v.rollback.restoresVersion ? ` to v${v.rollback.restoresVersion}` : ' (withdrawn)'}:{' '}
          {v.rollback.reason}
        </p>
      )}
      {v.definition.changed && (
        <>
          <p>
            Definition v{v.definition.previousVersion} → v{v.definition.version}:
          </p>
          <ul>
            {v.definition.recordedSince.map((d) => (
              <li>
                v{d.version} {d.change} by <strong>{d.author}</strong>: “{d.rationale}”
              </li>
            ))}
          </ul>
          <TableBox label={`Definition diff of v${v.version}`}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Path</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {v.definition.diff.map((d) => (
                  <tr>
                    <th scope="row">
                      <code>{d.path}</code>
                    </th>
                    <td>
                      <code class="removed">{show(d.before)}</code>
                    </td>
                    <td>
                      <code class="added">{show(d.after)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
        </>
      )}
    </li>
  );
}

/** Every published version with what moved and why; every recorded definition version. */
export function CohortHistory({ cohortId }: { cohortId: string }) {
  const history = useResource(`history:${cohortId}`, () =>
    get<typeof cohortHistory>(`/cohorts/${enc(cohortId)}/history?limit=50`),
  );
  const versions = useResource(`versions:${cohortId}`, () =>
    get<typeof cohortVersions>(`/cohorts/${enc(cohortId)}/versions`),
  );
  return (
    <>
      <section aria-labelledby="published-heading">
        <h2 id="published-heading">Published versions</h2>
        <Loaded resource={history} what="the published versions">
          {(h) =>
            h.versions.length === 0 ? (
              <p>Never published.</p>
            ) : (
              <ol class="versions">
                {h.versions.map((v) => (
                  <PublishedVersion v={v} />
                ))}
              </ol>
            )
          }
        </Loaded>
      </section>
      <section aria-labelledby="definition-heading">
        <h2 id="definition-heading">Definition history</h2>
        <Loaded resource={versions} what="the definition versions">
          {(d) => (
            <TableBox label="Definition versions">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Version</th>
                    <th scope="col">Change</th>
                    <th scope="col">Author</th>
                    <th scope="col">Rationale</th>
                    <th scope="col">When</th>
                  </tr>
                </thead>
                <tbody>
                  {d.versions.map((v) => (
                    <tr>
                      <th scope="row">v{v.version}</th>
                      <td>{v.change}</td>
                      <td>{v.author}</td>
                      <td>{v.rationale}</td>
                      <td>{dateTime(v.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableBox>
          )}
        </Loaded>
      </section>
    </>
  );
}

/** The learnings library for this cohort: notes oldest first; analysts and approvers add to it. */
export function CohortNotes({ cohortId }: { cohortId: string }) {
  const session = useSession();
  const notes = useResource(`notes:${cohortId}`, () =>
    get<typeof cohortNotes.list>(`/cohorts/${enc(cohortId)}/notes`).catch((err) => {
      if (err instanceof ApiFailure && err.status === 404) return { notes: [] };
      throw err;
    }),
  );
  const [text, setText] = useState('');
  const [error, setError] = useState<string>();
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      await send<typeof cohortNotes.add>('POST', `/cohorts/${enc(cohortId)}/notes`, { text });
      setText('');
      setError(undefined);
      notes.reload();
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : String(err));
    }
  };
  return (
    <section aria-labelledby="notes-heading">
      <h2 id="notes-heading">Learnings</h2>
      <Loaded resource={notes} what="the notes">
        {({ notes: list }) =>
          list.length === 0 ? (
            <p>No notes yet.</p>
          ) : (
            <ul class="notes">
              {list.map((n) => (
                <li>
                  <strong>{n.author}</strong>, {dateTime(n.at)}
                  {n.runId && (
                    <>
                      {' '}
                      on <a href={href('runs', n.runId)}>{n.runId}</a>
                    </>
                  )}
                  : {n.text}
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      {may(session, 'analyst', 'approver') && (
        <form onSubmit={add}>
          <label for="note-text">Add a note</label>
          <textarea
            id="note-text"
            rows={2}
            maxLength={4000}
            required
            value={text}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          />
          <button type="submit">Add note</button>
          {error && (
            <p role="alert" class="error">
              {error}
            </p>
          )}
        </form>
      )}
    </section>
  );
}
