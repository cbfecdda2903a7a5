import type { experimentReport, listExperiments } from '../../../src/api/schemas/experiments';
import type { Answer } from '../../../src/api/schemas/contract';
import { enc, get } from '../api';
import { count, dateTime } from '../format';
import { useResource } from '../hooks';
import { href } from '../router';
import { Badge, Loaded, PageTitle, TableBox } from '../ui';

// Experiments: the list, and one experiment's report — per arm its size and KPI, each arm
// against the control (lift with its 95% interval, p-values), the sample ratio check and every
// reallocation with its evidence. Creating and stopping are the CLI's and the API's.

type Report = Answer<typeof experimentReport>;

const percent = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined ? '–' : `${(x * 100).toFixed(digits)}%`;
const pValue = (p: number | null) => (p === null ? '–' : p < 0.0001 ? p.toExponential(2) : p.toFixed(4));

export function ExperimentsPage() {
  const list = useResource('experiments', () => get<typeof listExperiments>('/experiments'));
  return (
    <>
      <PageTitle title="Experiments">Experiments</PageTitle>
      <Loaded resource={list} what="the experiments">
        {({ experiments }) =>
          experiments.length === 0 ? (
            <p>
              No experiment yet. Start one with <code>cohortflow experiments create &lt;file&gt;</code>.
            </p>
          ) : (
            <TableBox label="Experiments">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Experiment</th>
                    <th scope="col">Cohort</th>
                    <th scope="col">Status</th>
                    <th scope="col">Arms</th>
                    <th scope="col">KPI</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  {experiments.map((e) => (
                    <tr data-experiment={e.id}>
                      <th scope="row">
                        <a href={href('experiments', e.id)}>{e.id}</a>
                      </th>
                      <td>
                        <a href={href('cohorts', e.cohort)}>{e.cohort}</a>
                      </td>
                      <td>
                        <Badge tone={e.status === 'running' ? 'pass' : 'neutral'}>{e.status}</Badge>
                      </td>
                      <td>
                        {e.arms.map((a) => `${a.id}${a.holdout ? ' (holdout)' : ''} ${percent(a.share, 0)}`).join(', ')}
                      </td>
                      <td>{String(e.kpi.kind)}</td>
                      <td>
                        {dateTime(e.createdAt)} by {e.createdBy}
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

function Arms({ r }: { r: Report }) {
  const rate = r.experiment.kpi.kind !== 'revenue';
  return (
    <TableBox label="Arms">
      <table>
        <thead>
          <tr>
            <th scope="col">Arm</th>
            <th scope="col">Assigned</th>
            <th scope="col">Measured</th>
            <th scope="col">{rate ? 'Rate' : 'Mean (USD)'}</th>
          </tr>
        </thead>
        <tbody>
          {r.arms.map((a) => (
            <tr data-arm={a.arm}>
              <th scope="row">
                {a.arm} {a.holdout && <Badge>holdout</Badge>} {a.arm === r.control && <Badge>control</Badge>}
              </th>
              <td class="num">{count(a.assigned)}</td>
              <td class="num">{count(a.measured)}</td>
              <td class="num">{rate ? percent(a.value) : (a.value?.toFixed(2) ?? '–')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableBox>
  );
}

function Comparisons({ r }: { r: Report }) {
  const rate = r.experiment.kpi.kind !== 'revenue';
  const lift = (x: number) => (rate ? `${(x * 100).toFixed(2)} pp` : x.toFixed(2));
  if (r.comparisons.length === 0) return <p>No comparison yet: no arm has measured members on both sides.</p>;
  return (
    <TableBox label="Comparisons with the control">
      <table>
        <thead>
          <tr>
            <th scope="col">Arm vs control</th>
            <th scope="col">Absolute lift [95% CI]</th>
            <th scope="col">Relative lift [95% CI]</th>
            <th scope="col">p-value</th>
            <th scope="col">Adjusted p</th>
            <th scope="col">Significant</th>
          </tr>
        </thead>
        <tbody>
          {r.comparisons.map((c) => {
            const f = c.figures;
            const ci = f.absoluteLiftInterval;
            const rel = f.relativeLiftInterval;
            return (
              <tr data-comparison={c.arm}>
                <th scope="row">
                  {c.arm} vs {c.against}
                </th>
                <td class="num">
                  {lift(f.absoluteLift)} {ci && `[${lift(ci.lower)}, ${lift(ci.upper)}]`}
                </td>
                <td class="num">
                  {percent(f.relativeLift, 1)} {rel && `[${percent(rel.lower, 1)}, ${percent(rel.upper, 1)}]`}
                </td>
                <td class="num">{pValue(f.pValue)}</td>
                <td class="num">{pValue(c.adjustedPValue)}</td>
                <td>{c.significant ? <Badge tone="pass">yes</Badge> : <Badge>no</Badge>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableBox>
  );
}

function Reallocations({ r }: { r: Report }) {
  if (r.reallocations.length === 0) return null;
  return (
    <section class="card" aria-labelledby="reallocations">
      <h2 id="reallocations">Reallocations</h2>
      <ul>
        {r.reallocations.map((x) => (
          <li data-reallocation={x.runId}>
            {dateTime(x.decidedAt)}, run <a href={href('runs', x.runId)}>{x.runId}</a>: {x.decision}, v{x.fromVersion} →
            v{x.toVersion} (seed <code>{x.seed}</code>) —{' '}
            {x.evidence.arms
              .map(
                (a) =>
                  `${a.arm}: ${a.successes}/${a.successes + a.failures}, P(best) ${a.probabilityBest.toFixed(3)}, share ${percent(a.previousShare, 1)} → ${percent(a.share, 1)}`,
              )
              .join('; ')}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ExperimentPage({ experimentId }: { experimentId: string }) {
  const report = useResource(`experiment:${experimentId}`, () =>
    get<typeof experimentReport>(`/experiments/${enc(experimentId)}/report`),
  );
  return (
    <>
      <PageTitle title={`Experiment ${experimentId}`}>Experiment {experimentId}</PageTitle>
      <p>
        <a href={href('experiments')}>All experiments</a>
      </p>
      <Loaded resource={report} what="the report">
        {(r) => (
          <>
            <p>
              {r.experiment.hypothesis} On <a href={href('cohorts', r.experiment.cohort)}>{r.experiment.cohort}</a>,{' '}
              <Badge tone={r.experiment.status === 'running' ? 'pass' : 'neutral'}>{r.experiment.status}</Badge>. KPI{' '}
              <code>{JSON.stringify(r.experiment.kpi)}</code>, measured as of {dateTime(r.asOf)}.
            </p>
            <Arms r={r} />
            <h2>Against {r.control}</h2>
            <Comparisons r={r} />
            <p data-sample-ratio={r.sampleRatio.mismatch ? 'broken' : 'healthy'}>
              Sample ratio check: χ² = {r.sampleRatio.statistic.toFixed(3)}, df {r.sampleRatio.degreesOfFreedom}, p ={' '}
              {pValue(r.sampleRatio.pValue)} —{' '}
              {r.sampleRatio.mismatch ? <Badge tone="fail">broken split</Badge> : <Badge tone="pass">healthy</Badge>}
            </p>
            {r.cautions.length > 0 && (
              <section class="card" aria-labelledby="cautions">
                <h2 id="cautions">Cautions</h2>
                <ul>
                  {r.cautions.map((c) => (
                    <li>{c}</li>
                  ))}
                </ul>
              </section>
            )}
            <Reallocations r={r} />
          </>
        )}
      </Loaded>
    </>
  );
}
