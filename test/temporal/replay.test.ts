import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { replayHistory } from '../../src/temporal/replay';

const dir = path.join(__dirname, '../fixtures/histories');
const recorded = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
type History = { events: Array<{ workflowExecutionStartedEventAttributes?: { workflowId?: string } }> };
const load = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as History;
// Replayed under the id it ran with: the workflow reads it (a decision naming another run is refused).
const workflowIdOf = (history: History) => history.events[0]?.workflowExecutionStartedEventAttributes?.workflowId;

// Recorded by the end-to-end tests with RECORD_HISTORIES=1, one run of every path a refresh or a
// rollback run can take; re-recorded whenever the workflow code changes before the first release.
const PATHS = [
  'refresh-published',
  'refresh-rejected',
  'refresh-expired',
  'refresh-rolled-back-in-window',
  'rollback-run-restored',
];

describe('replay of recorded histories', () => {
  it('has a recorded history of every path a run can take', () => {
    expect(recorded.map((f) => f.replace(/\.json$/, '')).sort()).toEqual([...PATHS].sort());
  });

  it.each(recorded)('replays %s against the current workflow code', async (file) => {
    const history = load(file);
    const workflowId = workflowIdOf(history);
    expect(workflowId).toBeTruthy();
    expect(await replayHistory(workflowId!, history)).toEqual({ ok: true });
  });

  it('reports non-determinism when the workflow code changed incompatibly', async () => {
    const workflowsPath = require.resolve('../fixtures/incompatible-workflows');
    // The incompatible fixture changes the refresh cycle, so replay a refresh run's history.
    const refresh = 'refresh-published.json';
    const history = load(refresh);
    await expect(Worker.runReplayHistory({ workflowsPath }, history, workflowIdOf(history))).rejects.toThrow(
      /[Nn]ondetermin/,
    );
  });
});
