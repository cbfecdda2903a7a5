import type { RefreshClient } from '../temporal/refresh-client';
import type { RefreshStatus } from '../shared';
import { RefreshStage } from '../workflows/search-attributes';

// The refresh runs open now, found through Temporal's visibility (the RefreshStage search
// attribute) and read through their status: what /metrics reports about stuck stages and
// approvals waiting. Bounded: an installation has a handful of runs open at once.

export const MOST_RUNS_READ = 50;

export interface OpenRun {
  runId: string;
  stage: RefreshStatus['stage'];
  status?: RefreshStatus;
}

export async function openRuns(refreshes: RefreshClient): Promise<OpenRun[]> {
  const runs: OpenRun[] = [];
  const listing = refreshes.client.workflow.list({
    query: `WorkflowType = 'refreshCycle' AND ExecutionStatus = 'Running'`,
    pageSize: MOST_RUNS_READ,
  });
  for await (const run of listing) {
    const stage = (run.typedSearchAttributes.get(RefreshStage) ?? 'ingest') as RefreshStatus['stage'];
    runs.push({ runId: run.workflowId, stage });
    if (runs.length >= MOST_RUNS_READ) break;
  }
  // A run whose status cannot be read now (no worker answers queries) still counts, without figures.
  await Promise.all(
    runs.map(async (r) => {
      r.status = await refreshes.status(r.runId).catch(() => undefined);
    }),
  );
  return runs;
}
