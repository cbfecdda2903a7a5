import type { publishedCohorts } from '../../../src/api/schemas/cohort-views';
import type { listCohorts } from '../../../src/api/schemas/cohorts';
import { get } from '../api';
import { count, dateTime } from '../format';
import { useResource } from '../hooks';
import { href } from '../router';
import { Badge, Loaded, PageTitle, TableBox } from '../ui';

export function CohortsPage() {
  const catalog = useResource('catalog', async () => {
    const [listing, published] = await Promise.all([
      get<typeof listCohorts>('/cohorts'),
      get<typeof publishedCohorts>('/published'),
    ]);
    return { ...listing, published: new Map(published.cohorts.map((p) => [p.cohortId, p])) };
  });
  return (
    <>
      <PageTitle title="Cohorts">Cohort catalog</PageTitle>
      <Loaded resource={catalog} what="the catalog">
        {({ cohorts, problems, published }) => (
          <>
            {problems.length > 0 && (
              <div role="alert" class="error">
                <p>The catalog folder has problems:</p>
                <ul>
                  {problems.map((p) => (
                    <li>
                      <code>{p}</code>
                    </li>
                  ))}
                </ul>
              </div>
            )}
            <TableBox label="Cohorts">
              <table>
                <caption class="sr-only">Every cohort in the catalog with its latest published version</caption>
                <thead>
                  <tr>
                    <th scope="col">Cohort</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Tier</th>
                    <th scope="col">Status</th>
                    <th scope="col">Size</th>
                    <th scope="col">Last published</th>
                    <th scope="col">Definition</th>
                  </tr>
                </thead>
                <tbody>
                  {cohorts.map((c) => {
                    const p = published.get(c.id);
                    return (
                      <tr data-cohort={c.id}>
                        <th scope="row">
                          <a href={href('cohorts', c.id)}>{c.name}</a> <code class="hint">{c.id}</code>
                        </th>
                        <td>{c.owner}</td>
                        <td>{c.tier}</td>
                        <td>
                          <Badge tone={c.status === 'active' ? 'neutral' : 'attention'}>{c.status}</Badge>
                        </td>
                        <td class="num">{p ? count(p.size) : '–'}</td>
                        <td>{p ? `v${p.version}, ${dateTime(p.publishedAt)}` : 'never'}</td>
                        <td>
                          {c.latestVersion ? `v${c.latestVersion.version}` : 'not recorded'}
                          {!c.recorded && c.latestVersion ? ' (file changed since)' : ''}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableBox>
          </>
        )}
      </Loaded>
    </>
  );
}
