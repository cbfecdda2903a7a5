import { stagesOf, type TimelineEntry } from '../../src/governance/run-timeline';
import { runListQuery, temporalUrlOf } from '../../src/temporal/run-list';

// A run's stages from its audit trail: each begins when the one before ends.

const RUN = 'refresh-adhoc-1';
const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 6, minute)).toISOString();
const e = (action: string, minute: number, key = `${action}:${minute}`): TimelineEntry => ({
  key,
  action,
  at: at(minute),
});
const started = e('run.started', 0, `run:${RUN}:started`);
const throughTests = [started, e('stage.ingest', 2), e('stage.compute', 5), e('stage.baseline-test', 6)];
const publishedRows = [
  e('run.published', 40, `run:${RUN}:published`),
  e('run.published', 41, `run:${RUN}:outcome:published`),
];

const summary = (entries: TimelineEntry[]) =>
  stagesOf(RUN, entries).stages.map((s) => [s.stage, s.state, s.durationMs === null ? null : s.durationMs / 60_000]);

describe('a run timeline', () => {
  it.each([
    [
      'a run still computing',
      [started, e('stage.ingest', 2)],
      [
        ['ingest', 'done', 2],
        ['compute', 'running', null],
        ['baseline-test', 'not-reached', null],
        ['awaiting-approval', 'not-reached', null],
        ['publish', 'not-reached', null],
      ],
    ],
    [
      'a run waiting at the gate, one cohort approved of two',
      [...throughTests, e('approval.requested', 6), e('decision.approved', 20)],
      [
        ['ingest', 'done', 2],
        ['compute', 'done', 3],
        ['baseline-test', 'done', 1],
        ['awaiting-approval', 'running', null],
        ['publish', 'not-reached', null],
      ],
    ],
    [
      'a run approved in two decisions and published',
      [
        ...throughTests,
        e('approval.requested', 6),
        e('decision.approved', 20),
        e('decision.approved', 30),
        ...publishedRows,
      ],
      [
        ['ingest', 'done', 2],
        ['compute', 'done', 3],
        ['baseline-test', 'done', 1],
        ['awaiting-approval', 'done', 24],
        ['publish', 'done', 11],
      ],
    ],
    [
      'a run the policy passed without a gate',
      [
        ...throughTests,
        e('run.published', 7, `run:${RUN}:published`),
        e('run.published', 9, `run:${RUN}:outcome:published`),
      ],
      [
        ['ingest', 'done', 2],
        ['compute', 'done', 3],
        ['baseline-test', 'done', 1],
        ['awaiting-approval', 'skipped', 0],
        ['publish', 'done', 3],
      ],
    ],
    [
      'a rejected run',
      [
        ...throughTests,
        e('approval.requested', 6),
        e('decision.rejected', 16),
        e('run.rejected', 16, `run:${RUN}:outcome:rejected`),
      ],
      [
        ['ingest', 'done', 2],
        ['compute', 'done', 3],
        ['baseline-test', 'done', 1],
        ['awaiting-approval', 'done', 10],
        ['publish', 'not-reached', null],
      ],
    ],
    [
      'a run whose compute failed',
      [started, e('stage.ingest', 2), e('run.failed', 4, `run:${RUN}:outcome:failed`)],
      [
        ['ingest', 'done', 2],
        ['compute', 'failed', 2],
        ['baseline-test', 'not-reached', null],
        ['awaiting-approval', 'not-reached', null],
        ['publish', 'not-reached', null],
      ],
    ],
    [
      'a run stopped by data quality',
      [started, e('ingest.quality_failed', 3), e('run.failed', 3, `run:${RUN}:outcome:failed`)],
      [
        ['ingest', 'failed', 3],
        ['compute', 'not-reached', null],
        ['baseline-test', 'not-reached', null],
        ['awaiting-approval', 'not-reached', null],
        ['publish', 'not-reached', null],
      ],
    ],
  ])('%s', (_what, entries, expected) => {
    expect(summary(entries)).toEqual(expected);
  });

  it('starts the first stage when the run was registered', () => {
    const { startedAt, stages } = stagesOf(RUN, [started]);
    expect(startedAt).toBe(at(0));
    expect(stages[0]).toMatchObject({ stage: 'ingest', state: 'running', startedAt: at(0), endedAt: null });
  });
});

describe('the run list query', () => {
  it('lists refresh runs, narrowed by stage and outcome', () => {
    expect(runListQuery({})).toBe("WorkflowType = 'refreshCycle'");
    expect(runListQuery({ stage: 'awaiting-approval', outcome: 'published' })).toBe(
      "WorkflowType = 'refreshCycle' AND RefreshStage = 'awaiting-approval' AND RefreshOutcome = 'published'",
    );
  });

  it('links a run to the Temporal Web UI only when its address is known', () => {
    expect(temporalUrlOf('http://localhost:8233/', 'default', 'refresh-adhoc-1')).toBe(
      'http://localhost:8233/namespaces/default/workflows/refresh-adhoc-1',
    );
    expect(temporalUrlOf(undefined, 'default', 'refresh-adhoc-1')).toBeNull();
  });
});
