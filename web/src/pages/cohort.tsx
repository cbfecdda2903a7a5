import type { cohortSizes } from '../../../src/api/schemas/cohort-views';
import type { showCohort } from '../../../src/api/schemas/cohorts';
import { enc, get } from '../api';
import { Chart, COLORS } from '../chart';
import { count, day } from '../format';
import { useResource } from '../hooks';
import { href } from '../router';
import { Loaded, PageTitle, TableBox } from '../ui';
import { CohortHistory, CohortNotes } from './cohort-history';
import { CohortMembers } from './cohort-members';

export function CohortPage({ cohortId }: { cohortId: string }) {
  const cohort = useResource(`cohort:${cohortId}`, () => get<typeof showCohort>(`/cohorts/${enc(cohortId)}`));
  const sizes = useResource(`sizes:${cohortId}`, () => get<typeof cohortSizes>(`/cohorts/${enc(cohortId)}/sizes`));
  const name = cohort.data?.definition.name ?? cohortId;
  return (
    <>
      <PageTitle title={name}>{name}</PageTitle>
      <Loaded resource={cohort} what="the definition">
        {({ definition: d, file }) => (
          <dl class="facts">
            <dt>Id</dt>
            <dd>
              <code>{d.id}</code> (<code>{file}</code>)
            </dd>
            <dt>Purpose</dt>
            <dd>{d.purpose ?? '–'}</dd>
            <dt>Owner · tier · status</dt>
            <dd>
              {d.owner ?? '–'} · {d.tier} · {d.status ?? 'active'}
            </dd>
            {d.limitations && (
              <>
                <dt>Limitations</dt>
                <dd>{d.limitations}</dd>
              </>
            )}
            <dt>Over time</dt>
            <dd>
              <a href={href('trends', cohortId)}>Drift and KPIs</a> ·{' '}
              <a href={`${href('audit')}?cohort=${enc(cohortId)}`}>Audit trail</a>
            </dd>
          </dl>
        )}
      </Loaded>
      <section aria-labelledby="size-heading">
        <h2 id="size-heading">Size over every published version</h2>
        <Loaded resource={sizes} what="the sizes">
          {({ versions }) =>
            versions.length === 0 ? (
              <p>Never published.</p>
            ) : (
              <>
                <Chart
                  title={`Members of ${cohortId} at each published version`}
                  testId="cohort-size-chart"
                  labels={versions.map((v) => `v${v.version}`)}
                  summary={`${versions.length} published versions; now ${count(versions.at(-1)!.size)} members.`}
                  series={[
                    { label: 'members', values: versions.map((v) => v.size), color: COLORS[0]! },
                    { label: 'adds', values: versions.map((v) => v.adds), color: COLORS[2]! },
                    { label: 'removes', values: versions.map((v) => v.removes), color: COLORS[4]! },
                  ]}
                  format={(y) => count(Math.round(y))}
                />
                <TableBox label="Published versions">
                  <table class="sizes">
                    <thead>
                      <tr>
                        <th scope="col">Version</th>
                        <th scope="col">Published</th>
                        <th scope="col">Members</th>
                        <th scope="col">Adds</th>
                        <th scope="col">Removes</th>
                        <th scope="col">Run</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...versions].reverse().map((v) => (
                        <tr>
                          <th scope="row">
                            v{v.version}
                            {v.rollback ? ' (rollback)' : ''}
                          </th>
                          <td>{day(v.publishedAt)}</td>
                          <td class="num">{count(v.size)}</td>
                          <td class="num">{count(v.adds)}</td>
                          <td class="num">{count(v.removes)}</td>
                          <td>
                            <a href={href('runs', v.runId.split(':')[0]!)}>{v.runId}</a>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableBox>
              </>
            )
          }
        </Loaded>
      </section>
      <CohortMembers cohortId={cohortId} />
      <CohortHistory cohortId={cohortId} />
      <CohortNotes cohortId={cohortId} />
    </>
  );
}
