import { useState } from 'preact/hooks';
import type { listAudit, verifyAudit } from '../../../src/api/schemas/governance';
import { get, query } from '../api';
import { dateTime } from '../format';
import { useResource } from '../hooks';
import { href, navigate } from '../router';
import { Loaded, PageTitle, TableBox } from '../ui';

const FIELDS = [
  ['run', 'Run'],
  ['cohort', 'Cohort'],
  ['actor', 'Actor'],
  ['action', 'Action (or family, e.g. decision)'],
] as const;

export function AuditPage({ query: q }: { query: URLSearchParams }) {
  const filters = Object.fromEntries(FIELDS.map(([k]) => [k, q.get(k) ?? ''])) as Record<string, string>;
  const [draft, setDraft] = useState(filters);
  const url = `/audit${query({ ...filters, limit: 200 })}`;
  const entries = useResource(url, () => get<typeof listAudit>(url));
  const chain = useResource('verify', () => get<typeof verifyAudit>('/audit/verify'));
  return (
    <>
      <PageTitle title="Audit">Audit trail</PageTitle>
      <Loaded resource={chain} what="the chain's state">
        {(c) => (
          <p role="status" class={c.ok ? 'success' : 'error'} data-testid="chain-state">
            {c.ok
              ? `Hash chain verified: all ${c.rows} rows intact.`
              : `Hash chain broken at row ${c.brokenAt?.id}: ${c.brokenAt?.reason}.`}
          </p>
        )}
      </Loaded>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`#/audit${query(draft)}`);
        }}
      >
        {FIELDS.map(([key, label]) => (
          <label>
            {label}
            <input
              name={key}
              value={draft[key]}
              onInput={(e) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value.trim() })}
            />
          </label>
        ))}
        <button type="submit">Filter</button>
      </form>
      <Loaded resource={entries} what="the entries">
        {({ entries: list }) =>
          list.length === 0 ? (
            <p>No entry matches.</p>
          ) : (
            <TableBox label="Audit entries">
              <table class="audit">
                <caption class="sr-only">The latest matching audit entries, oldest first</caption>
                <thead>
                  <tr>
                    <th scope="col">#</th>
                    <th scope="col">When</th>
                    <th scope="col">Run</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Details</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((e) => (
                    <tr>
                      <th scope="row">{e.id}</th>
                      <td>{dateTime(e.at)}</td>
                      <td>{e.runId ? <a href={href('runs', e.runId.split(':')[0]!)}>{e.runId}</a> : '–'}</td>
                      <td>{e.actor}</td>
                      <td>
                        <code>{e.action}</code>
                      </td>
                      <td>
                        <details>
                          <summary>details</summary>
                          <pre>{JSON.stringify(e.details, null, 2)}</pre>
                          <p class="hint">hash {e.hash.slice(0, 16)}…</p>
                        </details>
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
