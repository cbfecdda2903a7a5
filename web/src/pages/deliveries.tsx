import { useState } from 'preact/hooks';
import type { listDestinations } from '../../../src/api/schemas/deliveries';
import type { reconcileCohort } from '../../../src/api/schemas/runs';
import { ApiFailure, enc, get, send } from '../api';
import { count, dateTime } from '../format';
import { useResource } from '../hooks';
import { href } from '../router';
import { may, useSession } from '../session';
import { Badge, Loaded, PageTitle, TableBox } from '../ui';

export function DeliveriesPage() {
  const session = useSession();
  const overview = useResource('deliveries', () => get<typeof listDestinations>('/deliveries'));
  const [message, setMessage] = useState<{ ok: boolean; text: string }>();
  const reconcile = async (cohortId: string, destination: string) => {
    setMessage(undefined);
    try {
      const r = await send<typeof reconcileCohort>('POST', `/cohorts/${enc(cohortId)}/reconcile`, { destination });
      setMessage({
        ok: true,
        text: `Reconciled ${cohortId} → ${destination}: ${r.deliveries.map((d) => `+${d.adds} / −${d.removes}`).join(', ') || 'nothing to send'}.`,
      });
      overview.reload();
    } catch (err) {
      setMessage({ ok: false, text: `Reconcile refused: ${err instanceof ApiFailure ? err.message : String(err)}` });
    }
  };
  return (
    <>
      <PageTitle title="Deliveries">Deliveries</PageTitle>
      <div aria-live="polite">
        {message && (
          <p role={message.ok ? 'status' : 'alert'} class={message.ok ? 'success' : 'error'}>
            {message.text}
          </p>
        )}
      </div>
      <Loaded resource={overview} what="the destinations">
        {({ destinations }) =>
          destinations.length === 0 ? (
            <p>No destination configured or delivered to yet.</p>
          ) : (
            destinations.map((d) => (
              <section class="card" aria-labelledby={`dest-${d.name}`} data-destination={d.name}>
                <h2 id={`dest-${d.name}`}>
                  {d.name} <Badge>{d.kind ?? 'not configured here'}</Badge>{' '}
                  {d.purpose && <Badge>purpose {d.purpose}</Badge>} {d.disabled && <Badge tone="fail">disabled</Badge>}
                </h2>
                {d.disabled && (
                  <p class="error">
                    Disabled {dateTime(d.disabled.at)}: {d.disabled.reason ?? 'no reason recorded'}
                  </p>
                )}
                {d.cohorts.length === 0 ? (
                  <p>Nothing delivered yet.</p>
                ) : (
                  <TableBox label={`Cohorts delivered to ${d.name}`}>
                    <table>
                      <thead>
                        <tr>
                          <th scope="col">Cohort</th>
                          <th scope="col">Published</th>
                          <th scope="col">Cursor</th>
                          <th scope="col">Pending</th>
                          <th scope="col">Held back</th>
                          <th scope="col">Last error</th>
                          {may(session, 'operator') && <th scope="col">Reconcile</th>}
                        </tr>
                      </thead>
                      <tbody>
                        {d.cohorts.map((c) => (
                          <tr class={c.behind ? 'row-warn' : ''}>
                            <th scope="row">
                              <a href={href('cohorts', c.cohortId)}>{c.cohortId}</a>
                            </th>
                            <td>{c.publishedVersion ? `v${c.publishedVersion}` : '–'}</td>
                            <td>
                              {c.cursor
                                ? `v${c.cursor.version}, ${dateTime(c.cursor.acknowledgedAt)}`
                                : 'nothing acknowledged'}
                              {c.behind && <Badge tone="attention">behind</Badge>}
                            </td>
                            <td class="num">
                              {count(c.pendingDeliveries)} deliveries, {count(c.pendingBatches)} batches
                            </td>
                            <td class="num">{c.lastDelivery ? count(c.lastDelivery.heldBack) : '–'}</td>
                            <td>{c.lastError ?? '–'}</td>
                            {may(session, 'operator') && (
                              <td>
                                <button
                                  type="button"
                                  class="secondary"
                                  onClick={() => void reconcile(c.cohortId, d.name)}
                                >
                                  Reconcile
                                  <span class="sr-only">
                                    {' '}
                                    {c.cohortId} to {d.name}
                                  </span>
                                </button>
                              </td>
                            )}
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </TableBox>
                )}
              </section>
            ))
          )
        }
      </Loaded>
    </>
  );
}
