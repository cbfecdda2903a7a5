import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { replayHistory } from '../../src/temporal/replay';

const dir = path.join(__dirname, '../fixtures/histories');
const recorded = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
const load = (file: string) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as unknown;

describe('replay of recorded histories', () => {
  it('has recorded histories to replay', () => {
    expect(recorded.length).toBeGreaterThan(0);
  });

  it.each(recorded)('replays %s against the current workflow code', async (file) => {
    expect(await replayHistory(file, load(file))).toEqual({ ok: true });
  });

  it('reports non-determinism when the workflow code changed incompatibly', async () => {
    const workflowsPath = require.resolve('../fixtures/incompatible-workflows');
    // The incompatible fixture changes the refresh cycle, so replay a refresh run's history.
    const refresh = recorded.find((f) => f.startsWith('refresh-approved'))!;
    await expect(Worker.runReplayHistory({ workflowsPath }, load(refresh), 'incompatible')).rejects.toThrow(
      /[Nn]ondetermin/,
    );
  });
});
