import type { Answer } from '../../../src/api/schemas/contract';
import type { refreshStatus } from '../../../src/api/schemas/refreshes';
import { count } from '../format';
import { TableBox } from '../ui';

type Shadows = NonNullable<Answer<typeof refreshStatus>['shadows']>;

/** Proposed definitions computed beside the live cohorts in this run: compared, never published. */
export function RunShadows({ shadows }: { shadows: Shadows }) {
  return (
    <section aria-labelledby="shadows-heading">
      <h2 id="shadows-heading">Shadows ({count(shadows.length)})</h2>
      <p class="hint">
        Proposed definitions computed beside the live cohorts at the same asOf: compared with them, never published.
      </p>
      <TableBox label="Shadow definitions in this run">
        <table>
          <thead>
            <tr>
              <th scope="col">Cohort</th>
              <th scope="col">Shadow</th>
              <th scope="col">Live</th>
              <th scope="col">Shadow size</th>
              <th scope="col">Adds</th>
              <th scope="col">Removes</th>
              <th scope="col">Jaccard</th>
              <th scope="col">Verdict</th>
              <th scope="col">Runs left</th>
            </tr>
          </thead>
          <tbody>
            {shadows.map((x) => (
              <tr>
                <th scope="row">{x.cohortId}</th>
                <td>
                  <code>{x.shadowId}</code>
                </td>
                <td>{count(x.liveSize)}</td>
                <td>{count(x.shadowSize)}</td>
                <td>{count(x.adds)}</td>
                <td>{count(x.removes)}</td>
                <td>{x.jaccard === null ? '–' : String(x.jaccard)}</td>
                <td>{x.error ? `not computed: ${x.error}` : (x.verdict ?? '–')}</td>
                <td>{x.runsRemaining === null ? '–' : `${x.runsRemaining} (${x.status})`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </section>
  );
}
