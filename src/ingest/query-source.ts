import pg from 'pg';
import Cursor from 'pg-cursor';
import type { Db } from '../data/db';
import type { ErasedIdentifierFilter } from '../privacy/erased-identifiers';
import type { SourceConfig } from '../sources/config';
import { loadRows, type FileCounts } from './load-file';
import type { IdentityCache } from './identity-cache';
import type { RawRow } from './read-rows';

const BATCH = 10_000;

/** Cursor order: numeric when both are numbers, else text (ISO timestamps sort as text). */
function later(a: string, b: string): boolean {
  const x = Number(a);
  const y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) ? x > y : a > b;
}

/**
 * Reads a query source past its cursor, streaming with a server-side cursor, through the same
 * validation, staging and merge as files. The new cursor (the greatest cursor column value
 * read) is returned, to be saved with the read's end once its rows are committed, so a failed
 * run re-reads from the old one (resuming from its progress) and the dedup by event id makes
 * that harmless.
 */
export async function ingestQuerySource(
  db: Db,
  input: {
    runId: string;
    source: SourceConfig;
    env?: NodeJS.ProcessEnv;
    erased: ErasedIdentifierFilter;
    onChunk?: (rowsDone: number) => void;
    chunkRows?: number;
    identities?: IdentityCache;
  },
): Promise<FileCounts & { from: string; cursor: string }> {
  const q = input.source.query!;
  const url = (input.env ?? process.env)[q.urlEnv];
  if (!url) throw new Error(`source ${input.source.name}: set ${q.urlEnv} to the connection string of its database`);
  const saved = await db.query<{ cursor: string }>('SELECT cursor FROM source_cursors WHERE source = $1', [
    input.source.name,
  ]);
  const from = saved.rows[0]?.cursor ?? q.initialCursor;
  let greatest: string | undefined;

  const client = new pg.Client({ connectionString: url });
  // The source database restarting fails the read in flight (the activity retries); its
  // 'error' event must not end the worker's process as well.
  client.on('error', () => undefined);
  await client.connect();
  try {
    async function* rows(after: number): AsyncGenerator<RawRow[]> {
      const cursor = client.query(new Cursor(q.sql, [from]));
      let line = 0;
      try {
        for (;;) {
          const batch = (await cursor.read(BATCH)) as Array<Record<string, unknown>>;
          if (batch.length === 0) return;
          const out: RawRow[] = [];
          for (const row of batch) {
            line += 1;
            const mark = row[q.cursorColumn];
            if (mark === undefined || mark === null)
              throw new Error(
                `source ${input.source.name}: the query returned no ${q.cursorColumn} (the cursor column) in row ${line}`,
              );
            const text = mark instanceof Date ? mark.toISOString() : String(mark);
            if (greatest === undefined || later(text, greatest)) greatest = text;
            if (line <= after) continue;
            const record = Object.fromEntries(
              Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
            );
            out.push({ line, raw: JSON.stringify(record), record });
          }
          yield out;
        }
      } finally {
        await cursor.close();
      }
    }
    const counts = await loadRows(db, {
      runId: input.runId,
      source: input.source,
      name: `query:${input.source.name}`,
      sha256: `after:${from}`,
      rows,
      erased: input.erased,
      onChunk: input.onChunk,
      chunkRows: input.chunkRows,
      identities: input.identities,
    });
    // The caller saves the new cursor in the transaction that marks the read done (finishFile), so
    // a worker dying in between re-reads from the old cursor and resumes from the read's progress.
    return { ...counts, from, cursor: greatest ?? from };
  } finally {
    await client.end();
  }
}
