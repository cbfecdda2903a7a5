import { Context } from '@temporalio/activity';
import { BadSourceFile, ingestSources as ingestAll } from '../ingest/ingest-sources';
import type { IngestHeartbeat, IngestSummary } from '../shared';
import { InvalidSourceConfigError } from '../sources/config';
import { activityLog, invalidInput } from './context';
import { countIngested } from './metrics';
import type { ActivityDeps } from './deps';

export async function ingestSources(deps: ActivityDeps, input: { runId: string }): Promise<IngestSummary> {
  const log = activityLog(deps.log, { runId: input.runId });
  const startedAt = new Date().toISOString();
  // Rows done per file (the loader reports them per file): their sum is the attempt's rows.
  const rowsByFile = new Map<string, number>();
  let chunks = 0;
  let last: IngestHeartbeat | undefined;
  // Between chunks the ingest heartbeats on its own; late attribution and the derivation are a
  // few long statements, so the last detail is repeated while they run.
  const keepAlive = setInterval(() => Context.current().heartbeat(last), 20_000);
  const summary = await sourcesChecked(() =>
    ingestAll(
      { db: deps.db, log, erasureKey: deps.erasureKey },
      {
        runId: input.runId,
        sourceDir: deps.sourceDir,
        heartbeat: ({ source, file, rowsDone, chunk, files }) => {
          const key = `${source}\n${file ?? ''}`;
          if (chunk) chunks += 1;
          rowsByFile.set(key, Math.max(rowsDone, rowsByFile.get(key) ?? 0));
          const rows = [...rowsByFile.values()].reduce((n, r) => n + r, 0);
          last = { kind: 'ingest', source, file, files, rows, chunks, startedAt };
          Context.current().heartbeat(last);
        },
      },
    ),
  ).finally(() => clearInterval(keepAlive));
  countIngested(summary);
  log.info(
    { ...summary, sources: summary.sources.map((s) => ({ source: s.source, verdict: s.verdict, rows: s.rowsRead })) },
    'ingest done',
  );
  return summary;
}

/** An invalid sources.yaml, or a bad file under a `badFiles: fail` policy, stops the run at once: no retry fixes it. */
async function sourcesChecked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InvalidSourceConfigError || err instanceof BadSourceFile) throw invalidInput(err.message);
    throw err;
  }
}
