import { Context } from '@temporalio/activity';
import { ingestFiles } from '../ingest/ingest-files';
import type { IngestSummary } from '../workflows/types';
import { activityLog } from './context';
import type { ActivityDeps } from './deps';

export async function ingestSources(deps: ActivityDeps, input: { runId: string }): Promise<IngestSummary> {
  const log = activityLog(deps.log, { runId: input.runId });
  const summary = await ingestFiles({ db: deps.db, log }, { runId: input.runId, sourceDir: deps.sourceDir, heartbeat: (d) => Context.current().heartbeat(d) });
  log.info(summary, 'ingest done');
  return summary;
}
