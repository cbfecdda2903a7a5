import type { cohortSizes, cohortTrends } from '../../../src/api/schemas/cohort-views';
import type { listCohorts } from '../../../src/api/schemas/cohorts';
import { enc, get } from '../api';
import { Chart, COLORS } from '../chart';
import { count, day, figure, pct, usd } from '../format';
import { useResource } from '../hooks';
import { href, navigate } from '../router';
import { Loaded, PageTitle, TableBox } from '../ui';

const DIMENSIONS = ['plan', 'country', 'lifecycle_stage', 'tenure', 'rfm'];

/** Drift per attribute and size over time beside what the members did: does the cohort still mean what it meant? */
export function TrendsPage({ cohortId }: { cohortId?: string }) {
  const catalog = useResource('catalog-ids', () => get<typeof listCohorts>('/cohorts'));
  const chosen = cohortId ?? catalog.data?.cohorts[0]?.id;
  const data = useResource(chosen ? `trends:${chosen}` : null, async () => {
    const [trends, sizes] = await Promise.all([
      get<typeof cohortTrends>(`/cohorts/${enc(chosen!)}/trends?limit=12`),
      get<typeof cohortSizes>(`/cohorts/${enc(chosen!)}/sizes`),
    ]);
    return { trends, sizes };
  });
  return (
    <>
      <PageTitle title="Drift and KPIs">Drift and KPIs</PageTitle>
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Cohort
          <select value={chosen} onChange={(e) => navigate(href('trends', (e.target as HTMLSelectElement).value))}>
            {(catalog.data?.cohorts ?? []).map((c) => (
              <option value={c.id}>{c.name}</option>
            ))}
          </select>
        </label>
      </form>
      {chosen && (
        <Loaded resource={data} what="the trends">
          {({ trends, sizes }) => {
            const v = trends.versions;
            if (v.length === 0) return <p>{chosen} has not been published yet: nothing to follow.</p>;
            const labels = v.map((x) => `v${x.version}`);
            return (
              <>
                <p>
                  <a href={href('cohorts', chosen)}>Cohort page</a>. Data until {day(trends.dataUntil)}; the latest{' '}
                  {v.length} published versions.
                </p>
                <div class="charts">
                  <Chart
                    title="Size at every published version"
                    labels={sizes.versions.map((x) => `v${x.version}`)}
                    series={[{ label: 'members', values: sizes.versions.map((x) => x.size), color: COLORS[0]! }]}
                    format={(y) => count(Math.round(y))}
                  />
                  <Chart
                    title="Drift per attribute (PSI against the version before)"
                    testId="drift-trend-chart"
                    labels={labels}
                    series={DIMENSIONS.map((d, i) => ({
                      label: d,
                      values: v.map((x) => x.drift.find((f) => f.dimension === d)?.psi ?? null),
                      color: COLORS[i]!,
                    }))}
                  />
                  <Chart
                    title={`Conversion and churn within ${trends.windowDays} days (up to each asOf)`}
                    labels={labels}
                    series={[
                      { label: 'conversion', values: v.map((x) => x.before.conversion), color: COLORS[2]! },
                      { label: 'churn', values: v.map((x) => x.before.churn), color: COLORS[4]! },
                    ]}
                    format={(y) => pct(y, 0)}
                  />
                  <Chart
                    title={`Revenue per member, ${trends.windowDays} days up to each asOf (USD)`}
                    labels={labels}
                    series={[
                      {
                        label: 'revenue per member',
                        values: v.map((x) => x.before.revenuePerMember),
                        color: COLORS[1]!,
                      },
                    ]}
                    format={(y) => usd(y)}
                  />
                </div>
                <TableBox label="KPIs and drift per version">
                  <table class="kpis">
                    <caption>
                      Every figure per version (after: the days after asOf the data reaches, at most {trends.windowDays}
                      )
                    </caption>
                    <thead>
                      <tr>
                        <th scope="col">Version</th>
                        <th scope="col">Members</th>
                        <th scope="col">Conversion before / after</th>
                        <th scope="col">Revenue per member before / after</th>
                        <th scope="col">Churn before / after</th>
                        <th scope="col">Drift (PSI)</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...v].reverse().map((x) => (
                        <tr>
                          <th scope="row">
                            v{x.version} <span class="hint">{day(x.asOf)}</span>
                          </th>
                          <td class="num">{count(x.members)}</td>
                          <td>
                            {pct(x.before.conversion)} /{' '}
                            {x.after ? `${pct(x.after.conversion)} (${x.after.observedDays} d)` : 'not yet'}
                          </td>
                          <td>
                            {usd(x.before.revenuePerMember)} / {x.after ? usd(x.after.revenuePerMember) : 'not yet'}
                          </td>
                          <td>
                            {pct(x.before.churn)} / {x.after ? pct(x.after.churn) : 'not yet'}
                          </td>
                          <td>
                            {x.drift.length
                              ? x.drift.map((d) => `${d.dimension} ${figure(d.psi)}`).join(', ')
                              : 'first or rollback'}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </TableBox>
                <section aria-labelledby="kpi-definitions">
                  <h2 id="kpi-definitions">How the KPIs are computed</h2>
                  <dl>
                    {trends.definitions.map((d) => (
                      <>
                        <dt>{d.label}</dt>
                        <dd>{d.definition}</dd>
                      </>
                    ))}
                  </dl>
                </section>
              </>
            );
          }}
        </Loaded>
      )}
    </>
  );
}
