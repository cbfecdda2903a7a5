import { useState } from 'preact/hooks';
import type { Answer } from '../../../src/api/schemas/contract';
import type { refreshStatus } from '../../../src/api/schemas/refreshes';
import type { rollbackRefresh } from '../../../src/api/schemas/rollbacks';
import { ApiFailure, enc, send } from '../api';
import { countdown, dateTime } from '../format';
import { may, useSession } from '../session';

type Status = Answer<typeof refreshStatus>;

/** During the watch window: put back what this run replaced, for every cohort or those chosen. */
export function RollbackPanel({ status, now, done }: { status: Status; now: number; done: () => void }) {
  const session = useSession();
  const [reason, setReason] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const watch = status.watch;
  if (!watch) return null;
  const open = status.stage === 'watching' && !watch.closed;
  const published = status.cohorts.filter((c) => !status.rollbacks?.some((r) => r.cohorts.includes(c.cohortId)));
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await send<typeof rollbackRefresh>('POST', `/refreshes/${enc(status.runId)}/rollback`, {
        reason,
        ...(chosen.length ? { cohorts: chosen } : {}),
      });
      setOutcome({ ok: true, text: `Rolled back ${r.cohorts.join(', ')} (${r.rollbackId}).` });
      done();
    } catch (err) {
      setOutcome({ ok: false, text: `Refused: ${err instanceof ApiFailure ? err.message : String(err)}` });
    }
  };
  return (
    <section class="card" aria-labelledby="watch-heading">
      <h2 id="watch-heading">Watch window</h2>
      <p>
        {open ? 'Open' : 'Closed'} — closes <time dateTime={watch.closesAt}>{dateTime(watch.closesAt)}</time>
        {open && ` (${countdown(watch.closesAt, now)})`}.
      </p>
      {(status.rollbacks ?? []).map((r) => (
        <p>
          Rolled back by {r.by}: {r.cohorts.join(', ')} — “{r.reason}”
        </p>
      ))}
      {open && may(session, 'approver', 'operator') && (
        <form onSubmit={submit}>
          <fieldset>
            <legend>Cohorts to roll back (none chosen: every cohort the run published)</legend>
            {published.map((c) => (
              <label class="inline">
                <input
                  type="checkbox"
                  checked={chosen.includes(c.cohortId)}
                  onChange={(e) =>
                    setChosen(
                      (e.target as HTMLInputElement).checked
                        ? [...chosen, c.cohortId]
                        : chosen.filter((x) => x !== c.cohortId),
                    )
                  }
                />{' '}
                {c.cohortId}
              </label>
            ))}
          </fieldset>
          <label for="rollback-reason">Reason</label>
          <input
            id="rollback-reason"
            required
            minLength={3}
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
          <button type="submit" class="danger">
            Roll back
          </button>
        </form>
      )}
      {outcome && (
        <p role={outcome.ok ? 'status' : 'alert'} class={outcome.ok ? 'success' : 'error'}>
          {outcome.text}
        </p>
      )}
    </section>
  );
}
