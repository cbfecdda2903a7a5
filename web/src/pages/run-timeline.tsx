import type { Answer } from '../../../src/api/schemas/contract';
import type { runTimeline } from '../../../src/api/schemas/run-views';
import { duration } from '../format';

type Timeline = Answer<typeof runTimeline>;

const LABELS: Record<string, string> = {
  ingest: 'Ingest',
  compute: 'Compute',
  'baseline-test': 'Baseline tests',
  'awaiting-approval': 'Approval gate',
  publish: 'Publish',
};

/** The stages in order, each with its state and how long it took (or has been running). */
export function StageTimeline({ timeline, now }: { timeline: Timeline; now: number }) {
  const spans = timeline.stages.map((s) => ({
    ...s,
    shownMs: s.durationMs ?? (s.state === 'running' && s.startedAt ? now - new Date(s.startedAt).getTime() : null),
  }));
  const longest = Math.max(1, ...spans.map((s) => s.shownMs ?? 0));
  return (
    <ol class="timeline" aria-label="Stages">
      {spans.map((s) => (
        <li class={`stage state-${s.state}`} data-stage={s.stage}>
          <span class="stage-name">{LABELS[s.stage] ?? s.stage}</span>
          <span class="stage-state">{s.state.replace('-', ' ')}</span>
          <span class="stage-bar" aria-hidden="true">
            <span style={{ width: `${Math.max(2, ((s.shownMs ?? 0) / longest) * 100)}%` }} />
          </span>
          <span class="stage-time">
            {s.shownMs === null ? '' : duration(s.shownMs)}
            {s.state === 'running' ? ' so far' : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}
