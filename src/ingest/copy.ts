import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Bulk-loads COPY text into a table. Table and column names come from constants of the ingest,
 * never from data.
 */
export async function copyInto(
  tx: pg.PoolClient,
  table: string,
  columns: readonly string[],
  pieces: Buffer[],
): Promise<void> {
  if (pieces.length === 0) return;
  await pipeline(Readable.from(pieces), tx.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
}
