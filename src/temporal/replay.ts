import type { Client, WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { workflowsPath } from '../worker/worker';

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

export type ReplayVerdict = { ok: true } | { ok: false; error: string };

/** Replays one recorded history against the current workflow code. */
export async function replayHistory(workflowId: string, history: History | unknown): Promise<ReplayVerdict> {
  try {
    await Worker.runReplayHistory({ workflowsPath }, history, workflowId);
    return { ok: true };
  } catch (err) {
    const kind = (err as Error).name === 'DeterminismViolationError' ? 'non-determinism' : 'replay failed';
    return { ok: false, error: `${kind}: ${(err as Error).message}` };
  }
}

/** Fetches a run's history from the server and replays it. */
export async function replayRun(client: Client, workflowId: string): Promise<ReplayVerdict> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return replayHistory(workflowId, history);
}
