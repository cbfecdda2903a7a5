import { useState } from 'preact/hooks';
import type { cohortSizes } from '../../../src/api/schemas/cohort-views';
import type { Answer } from '../../../src/api/schemas/contract';
import type { refreshStatus } from '../../../src/api/schemas/refreshes';
import type { runReport } from '../../../src/api/schemas/runs';
import { enc, get } from '../api';
import { Chart, COLORS } from '../chart';
import { count, figure } from '../format';
import { useResource } from '../hooks';
import { href } from '../router';
import { Badge, Loaded, TableBox, Verdict } from '../ui';

export type CohortReport = Answer<typeof runReport>['cohorts'][number];
type Check = CohortReport['checks'][number];
export type GateCohort = NonNullable<Answer<typeof refreshStatus>['approval']>['cohorts'][number];

const checkName = (c: Check) => (c.subject ? `${c.name} (${c.subject})` : c.name);
const pairs = (record: Record<string, unknown>) =>
  Object.entries(record)
    .map(([k, v]) => `${k} ${figure(v)}`)
    .join(', ');

/** The published sizes before this run, and this run's candidate as the last, marked point. */
function SizeChart({ report, size }: { report: CohortReport; size: number }) {
  const sizes = useResource(report.cohortId, () => get<typeof cohortSizes>(`/cohorts/${enc(report.cohortId)}/sizes`));
  const baseline = report.checks.find((c) => c.name === 'size_vs_baseline')?.figures.median;
  return (
    <Loaded resource={sizes} what="the published sizes">
      {({ versions }) => {
        const shown = versions.filter((v) => v.runId !== undefined).slice(-8);
        const labels = [...shown.map((v) => `v${v.version}`), 'this run'];
        const median = typeof baseline === 'number' ? labels.map(() => baseline) : null;
        return (
          <Chart
            title={`Size of ${report.cohortId}: published versions and this run`}
            testId={`size-chart-${report.cohortId}`}
            labels={labels}
            summary={`${count(size)} members now; the last published version had ${shown.length ? count(shown.at(-1)!.size) : 'none'}${typeof baseline === 'number' ? `, the trailing baseline's median is ${count(baseline)}` : ''}.`}
            series={[
              { label: 'published size', values: [...shown.map((v) => v.size), null], color: COLORS[0]! },
              { label: 'this run', values: [...shown.map(() => null), size], color: COLORS[4]!, kind: 'marker' },
              ...(median
                ? [{ label: 'baseline median', values: median, color: COLORS[6]!, kind: 'threshold' as const }]
                : []),
            ]}
            format={(y) => count(Math.round(y))}
            height={180}
          />
        );
      }}
    </Loaded>
  );
}

function DriftChart({ report }: { report: CohortReport }) {
  const drift = report.checks.filter((c) => c.name === 'drift' && c.subject && typeof c.figures.psi === 'number');
  if (drift.length === 0) return <p class="hint">No drift to show: nothing published to compare with.</p>;
  const warn = drift[0]!.thresholds.warnPsi;
  const fail = drift[0]!.thresholds.failPsi;
  return (
    <Chart
      title={`Drift of ${report.cohortId}: PSI per attribute against the published members`}
      testId={`drift-chart-${report.cohortId}`}
      labels={drift.map((c) => c.subject!)}
      summary={drift.map((c) => `${c.subject} ${figure(c.figures.psi)} (${c.verdict})`).join('; ')}
      series={[
        { label: 'PSI', values: drift.map((c) => c.figures.psi as number), color: COLORS[1]!, kind: 'bars' },
        ...(warn !== undefined
          ? [{ label: 'warn at', values: drift.map(() => warn), color: '#b45309', kind: 'threshold' as const }]
          : []),
        ...(fail !== undefined
          ? [{ label: 'fail at', values: drift.map(() => fail), color: '#be123c', kind: 'threshold' as const }]
          : []),
      ]}
      height={180}
    />
  );
}

function DefinitionChange({ check }: { check: Check | undefined }) {
  const diff = check?.details?.diff ?? [];
  const versions = check?.details?.versions ?? [];
  if (!check || (diff.length === 0 && versions.length === 0)) return <p class="hint">The definition did not change.</p>;
  return (
    <div class="definition-change">
      <h4>Definition change</h4>
      <ul>
        {versions.map((v) => (
          <li>
            v{v.version} {v.change} by <strong>{v.author}</strong>: “{v.rationale}”
          </li>
        ))}
      </ul>
      <TableBox label="Definition diff">
        <table>
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {diff.map((d) => (
              <tr>
                <th scope="row">
                  <code>{d.path}</code>
                </th>
                <td>
                  <code class="removed">{d.before === undefined ? '–' : JSON.stringify(d.before)}</code>
                </td>
                <td>
                  <code class="added">{d.after === undefined ? '–' : JSON.stringify(d.after)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      {(check.details?.shadows ?? []).map((shadow) => (
        <ShadowRuns shadow={shadow} />
      ))}
    </div>
  );
}

type Shadow = NonNullable<NonNullable<Check['details']>['shadows']>[number];

/** How a promoted definition behaved beside the live one, refresh by refresh: what approvers weigh. */
function ShadowRuns({ shadow }: { shadow: Shadow }) {
  const dash = (x: number | null) => (x === null ? '–' : String(x));
  return (
    <TableBox
      label={`Shadow ${shadow.shadowId}: proposed by ${shadow.proposedBy}, promoted by ${shadow.promotedBy} as v${shadow.version}`}
    >
      <table>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Live</th>
            <th scope="col">Shadow</th>
            <th scope="col">Overlap</th>
            <th scope="col">Adds</th>
            <th scope="col">Removes</th>
            <th scope="col">Jaccard</th>
            <th scope="col">Verdict (live / shadow)</th>
          </tr>
        </thead>
        <tbody>
          {shadow.runs.map((r) => (
            <tr>
              <th scope="row">
                <code>{r.runId}</code>
              </th>
              <td>{dash(r.liveSize)}</td>
              <td>{dash(r.shadowSize)}</td>
              <td>{dash(r.overlap)}</td>
              <td>{dash(r.adds)}</td>
              <td>{dash(r.removes)}</td>
              <td>{dash(r.jaccard)}</td>
              <td>{r.error ? `not computed: ${r.error}` : `${r.liveVerdict ?? '–'} / ${r.verdict ?? '–'}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableBox>
  );
}

export function RunCohort({ report, size, gate }: { report: CohortReport; size: number; gate?: GateCohort }) {
  // Closed until asked: a run of many cohorts stays one screen of verdicts to scan.
  const [open, setOpen] = useState(false);
  const churn = report.checks.find((c) => c.name === 'churn')?.figures ?? {};
  const shift = report.checks.find((c) => c.name === 'size_shift')?.figures ?? {};
  return (
    <details
      class={`cohort-report verdict-border-${report.verdict}`}
      open={open}
      onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}
      data-cohort={report.cohortId}
    >
      <summary>
        <span class="cohort-id">{report.cohortId}</span> <Badge>{report.tier}</Badge>{' '}
        <Verdict verdict={report.verdict} />{' '}
        {gate && <Badge tone={gate.state === 'waiting' ? 'attention' : 'neutral'}>{gate.state}</Badge>}{' '}
        <span class="hint">
          {count(size)} members
          {typeof shift.previous === 'number'
            ? ` (was ${count(shift.previous)}, ${figure(shift.shiftPct)}%)`
            : ' (first publish)'}
        </span>
      </summary>
      {open && (
        <div class="cohort-body">
          <p>
            <a href={href('cohorts', report.cohortId)}>Cohort page</a> · adds <strong>{figure(churn.adds)}</strong> ·
            removes <strong>{figure(churn.removes)}</strong> · Jaccard <strong>{figure(churn.jaccard)}</strong>
            {gate && ` · ${gate.reason}`}
          </p>
          <div class="charts">
            <SizeChart report={report} size={size} />
            <DriftChart report={report} />
          </div>
          <TableBox label={`Checks of ${report.cohortId}`}>
            <table class="checks">
              <caption>Every check of {report.cohortId}</caption>
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">Verdict</th>
                  <th scope="col">Figures</th>
                  <th scope="col">Thresholds</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {report.checks.map((c) => (
                  <tr class={`row-${c.verdict}`} data-check={checkName(c)}>
                    <th scope="row">{checkName(c)}</th>
                    <td>
                      <Verdict verdict={c.verdict} />
                    </td>
                    <td>{pairs(c.figures)}</td>
                    <td>{pairs(c.thresholds)}</td>
                    <td>{c.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
          <DefinitionChange check={report.checks.find((c) => c.name === 'definition_change')} />
          {report.changedBy.length > 0 && (
            <p>
              Changed by <strong>{report.changedBy.join(', ')}</strong>, who may not decide this run (four eyes).
            </p>
          )}
        </div>
      )}
    </details>
  );
}
