import { useState } from 'preact/hooks';
import type { Answer } from '../../../src/api/schemas/contract';
import type { startRefresh } from '../../../src/api/schemas/refreshes';
import type { listRefreshes } from '../../../src/api/schemas/run-views';
import { ApiFailure, get, query, send } from '../api';
import { age, countdown } from '../format';
import { useNow, useResource } from '../hooks';
import { href, navigate } from '../router';
import { may, useSession } from '../session';
import { Badge, Loaded, PageTitle, TableBox } from '../ui';

type Run = Answer<typeof listRefreshes>['runs'][number];

const STAGES = ['ingest', 'compute', 'baseline-test', 'awaiting-approval', 'publish', 'watching', 'done'];
const OUTCOMES = ['published', 'rejected', 'changes-requested', 'expired', 'failed'];

function Filters({ stage, outcome }: { stage: string; outcome: string }) {
  const apply = (next: { stage?: string; outcome?: string }) => navigate(`#/runs${query({ stage, outcome, ...next })}`);
  return (
    <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter runs">
      <label>
        Stage
        <select value={stage} onChange={(e) => apply({ stage: (e.target as HTMLSelectElement).value })}>
          <option value="">any</option>
          {STAGES.map((s) => (
            <option value={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Outcome
        <select value={outcome} onChange={(e) => apply({ outcome: (e.target as HTMLSelectElement).value })}>
          <option value="">any</option>
          {OUTCOMES.map((o) => (
            <option value={o}>{o}</option>
          ))}
        </select>
      </label>
    </form>
  );
}

function Waiting({ run, now }: { run: Run; now: number }) {
  if (!run.approval) return <>–</>;
  const { waiting, deadline } = run.approval;
  return (
    <>
      <strong>{waiting.length}</strong> cohort{waiting.length === 1 ? '' : 's'} waiting ·{' '}
      <time dateTime={deadline} title={deadline}>
        {countdown(deadline, now)}
      </time>
    </>
  );
}

function StartRefresh({ started }: { started: (id: string) => void }) {
  const [rationale, setRationale] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const answer = await send<typeof startRefresh>('POST', '/refreshes', { rationale });
      started(answer.workflowId);
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : String(err));
    }
  };
  return (
    <details class="card">
      <summary>Start a refresh</summary>
      <form onSubmit={submit}>
        <label for="rationale">Why is this refresh needed?</label>
        <input
          id="rationale"
          required
          minLength={3}
          value={rationale}
          onInput={(e) => setRationale((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Start</button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </details>
  );
}

export function RunsPage({ query: q }: { query: URLSearchParams }) {
  const session = useSession();
  const stage = q.get('stage') ?? '';
  const outcome = q.get('outcome') ?? '';
  const url = `/refreshes${query({ stage, outcome, limit: 50 })}`;
  const runs = useResource(url, () => get<typeof listRefreshes>(url), { pollMs: 5000 });
  const now = useNow(1000);
  return (
    <>
      <PageTitle title="Runs">Refresh runs</PageTitle>
      <Filters stage={stage} outcome={outcome} />
      {may(session, 'operator') && <StartRefresh started={(id) => navigate(href('runs', id))} />}
      <Loaded resource={runs} what="the runs">
        {({ runs: list }) =>
          list.length === 0 ? (
            <p>No run matches.</p>
          ) : (
            <TableBox label="Runs">
              <table class="runs">
                <caption class="sr-only">Refresh runs, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Stage</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Cadence</th>
                    <th scope="col">Tier</th>
                    <th scope="col">Asked by</th>
                    <th scope="col">Age</th>
                    <th scope="col">Waiting approvals</th>
                    <th scope="col">Temporal</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((run) => (
                    <tr data-run={run.runId}>
                      <th scope="row">
                        <a href={href('runs', run.runId)}>{run.runId}</a>
                      </th>
                      <td>
                        <Badge tone={run.stage === 'awaiting-approval' ? 'attention' : 'neutral'}>
                          {run.stage ?? '–'}
                        </Badge>
                      </td>
                      <td>{run.outcome ?? '–'}</td>
                      <td>{run.cadence ?? '–'}</td>
                      <td>{run.tier ?? '–'}</td>
                      <td>{run.requestedBy ?? '–'}</td>
                      <td>
                        <time dateTime={run.startedAt} title={run.startedAt}>
                          {age(run.startedAt, now)}
                        </time>
                      </td>
                      <td>
                        <Waiting run={run} now={now} />
                      </td>
                      <td>
                        {run.temporalUrl ? (
                          <a href={run.temporalUrl} target="_blank" rel="noopener noreferrer">
                            history<span class="sr-only"> of {run.runId} in the Temporal Web UI</span>
                          </a>
                        ) : (
                          '–'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableBox>
          )
        }
      </Loaded>
    </>
  );
}
