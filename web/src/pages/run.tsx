import { useState } from 'preact/hooks';
import type { Answer } from '../../../src/api/schemas/contract';
import type { refreshStatus } from '../../../src/api/schemas/refreshes';
import type { runTimeline } from '../../../src/api/schemas/run-views';
import type { runReport } from '../../../src/api/schemas/runs';
import { ApiFailure, enc, get } from '../api';
import { count, dateTime } from '../format';
import { useNow, useResource } from '../hooks';
import { href } from '../router';
import { useSession } from '../session';
import { Badge, Loaded, PageTitle } from '../ui';
import { RunCohort } from './run-cohort';
import { DecisionPanel } from './run-decision';
import { approvalEffect, RunModels } from './run-models';
import { RollbackPanel } from './run-rollback';
import { RunShadows } from './run-shadows';
import { StageTimeline } from './run-timeline';

type Status = Answer<typeof refreshStatus>;
type Timeline = Answer<typeof runTimeline>;

/** A stage that is running: the page follows it every two seconds until the run waits or ends. */
const moving = (s: Status) => !['awaiting-approval', 'frozen', 'watching', 'done'].includes(s.stage);

/** A freeze window holding the run before publish, or one that skipped its publish. */
function FreezeNotice({ status }: { status: Status }) {
  const f = status.freeze;
  if (!f || f.clearedAt) return null;
  const names = f.freezes.map((x) => `${x.name} (${x.reason})`).join('; ');
  return (
    <p role="status" class="freeze" data-testid="freeze">
      {f.policy === 'wait'
        ? `Frozen: approved, publishes when the freeze ends, ${dateTime(f.until)} — ${names}`
        : `Not published: a freeze was in force — ${names}`}
    </p>
  );
}

/** A run registered a moment ago has no timeline yet: shown as nothing rather than an error. */
const timelineOf = (runId: string) =>
  get<typeof runTimeline>(`/runs/${enc(runId)}/timeline`).catch((err) => {
    if (err instanceof ApiFailure && err.status === 404) return null;
    throw err;
  });

function Progress({ status, timeline }: { status: Status; timeline: Timeline | null }) {
  const p = timeline?.progress;
  const detail =
    status.stage === 'compute' && p
      ? `, ${p.cohortsComputed} of ${p.cohortsPlanned || '…'} cohorts computed`
      : status.stage === 'ingest' && p
        ? `, ${p.sourcesIngested} sources ingested`
        : status.stage === 'baseline-test' && p
          ? `, ${p.reportsStored} of ${p.cohortsPlanned} cohorts tested`
          : '';
  return (
    <p class="progress" role="status" aria-live="polite" data-testid="live-stage">
      Stage <strong>{status.stage}</strong>
      {detail}
      {status.outcome ? ` — outcome ${status.outcome}` : ''}
      {moving(status) ? ' (updating live)' : ''}
    </p>
  );
}

export function RunPage({ runId }: { runId: string }) {
  const session = useSession();
  const now = useNow(1000);
  const status = useResource(`status:${runId}`, () => get<typeof refreshStatus>(`/refreshes/${enc(runId)}`), {
    pollMs: 2000,
    poll: moving,
  });
  const tested = (status.data?.reports.length ?? 0) > 0;
  const report = useResource(tested ? `report:${runId}` : null, () =>
    get<typeof runReport>(`/runs/${enc(runId)}/report`),
  );
  const timeline = useResource(`timeline:${runId}:${status.data?.stage}:${status.data?.cohorts.length}`, () =>
    timelineOf(runId),
  );
  const reload = () => {
    status.reload();
    report.reload();
  };
  // The gate closes as soon as the last waiting cohort is decided: the panel stays for the person
  // who just decided, so the confirmation does not vanish with the stage.
  const [decidedHere, setDecidedHere] = useState(false);
  const decided = () => {
    setDecidedHere(true);
    reload();
  };

  return (
    <>
      <PageTitle title={runId}>
        Run <code>{runId}</code>
      </PageTitle>
      <Loaded resource={status} what="the run">
        {(s) => (
          <>
            <dl class="facts">
              <dt>Stage</dt>
              <dd>
                <Badge tone={s.stage === 'awaiting-approval' || s.stage === 'frozen' ? 'attention' : 'neutral'}>
                  {s.stage}
                </Badge>
              </dd>
              <dt>Outcome</dt>
              <dd>{s.outcome ?? '–'}</dd>
              <dt>Asked by</dt>
              <dd>{s.requestedBy}</dd>
              <dt>Cadence · tier</dt>
              <dd>
                {s.cadence} · {s.tier}
              </dd>
              <dt>As of</dt>
              <dd>{dateTime(s.asOf)}</dd>
              {s.slot && (
                <>
                  <dt>Scheduled slot</dt>
                  <dd>{dateTime(s.slot)}</dd>
                </>
              )}
              {session.temporalUi && (
                <>
                  <dt>History</dt>
                  <dd>
                    <a href={`${session.temporalUi}/workflows/${enc(runId)}`} target="_blank" rel="noopener noreferrer">
                      Temporal Web UI
                    </a>
                  </dd>
                </>
              )}
            </dl>
            <Progress status={s} timeline={timeline.data ?? null} />
            <FreezeNotice status={s} />
            {s.skipped && !s.freeze && <p role="status">Skipped: {s.skipped}</p>}
            {s.failure && (
              <p role="alert" class="error">
                {s.failure}
              </p>
            )}
            {timeline.data && <StageTimeline timeline={timeline.data} now={now} />}
            {s.models && (s.models.proposals.length > 0 || s.models.refused.length > 0) && (
              <RunModels models={s.models} />
            )}
            {s.approval && (s.stage === 'awaiting-approval' || decidedHere) && (
              <DecisionPanel
                runId={runId}
                gate={s.approval}
                now={now}
                decided={decided}
                modelsNote={approvalEffect(s.models)}
              />
            )}
            {s.decisions && s.decisions.length > 0 && (
              <section aria-labelledby="decisions-heading">
                <h2 id="decisions-heading">Decisions</h2>
                <ul>
                  {s.decisions.map((d) => (
                    <li>
                      {d.kind} by <strong>{d.by}</strong> {dateTime(d.at)}
                      {d.cohorts?.length ? ` — ${d.cohorts.join(', ')}` : ' — the whole run'}
                      {d.comment ? `: “${d.comment}”` : ''}
                    </li>
                  ))}
                </ul>
              </section>
            )}
            <RollbackPanel status={s} now={now} done={reload} />
            <section aria-labelledby="cohorts-heading">
              <h2 id="cohorts-heading">Cohorts ({count(s.cohorts.length)})</h2>
              {!tested && <p class="hint">The baseline report appears once the tests have run.</p>}
              {tested && (
                <Loaded resource={report} what="the baseline report">
                  {(r) =>
                    r.cohorts.map((c) => (
                      <RunCohort
                        report={c}
                        size={s.cohorts.find((x) => x.cohortId === c.cohortId)?.size ?? 0}
                        gate={s.approval?.cohorts.find((g) => g.cohortId === c.cohortId)}
                      />
                    ))
                  }
                </Loaded>
              )}
            </section>
            {s.shadows && s.shadows.length > 0 && <RunShadows shadows={s.shadows} />}
            <p>
              <a href={`${href('audit')}?run=${enc(runId)}`}>This run’s audit trail</a>
            </p>
          </>
        )}
      </Loaded>
    </>
  );
}
