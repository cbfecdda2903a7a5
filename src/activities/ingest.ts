import { Context } from '@temporalio/activity';
import { ingestSources as ingestAll } from '../ingest/ingest-sources';
import type { IngestSummary } from '../shared';
import { activityLog } from './context';
import type { ActivityDeps } from './deps';

export async function ingestSources(deps: ActivityDeps, input: { runId: string }): Promise<IngestSummary> {
  const log = activityLog(deps.log, { runId: input.runId });
  const summary = await ingestAll(
    { db: deps.db, log },
    { runId: input.runId, sourceDir: deps.sourceDir, heartbeat: (d) => Context.current().heartbeat(d) },
  );
  log.info(
    { ...summary, sources: summary.sources.map((s) => ({ source: s.source, verdict: s.verdict, rows: s.rowsRead })) },
    'ingest done',
  );
  return summary;
}
