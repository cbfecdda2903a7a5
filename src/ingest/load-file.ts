import type { Db } from '../data/db';
import { ErasureRaced, type ErasedIdentifierFilter } from '../privacy/erased-identifiers';
import type { SourceConfig } from '../sources/config';
import { holdDerivedStateShared } from '../cohorts/customer-state';
import { IdentityCache } from './identity-cache';
import { mergeCrm, storeEvents } from './merge';
import { readRowBatches, recordOf, type RawRow } from './read-rows';
import { FileFault } from './read-lines';
import { badRow, quarantineRows, type BadRow } from './quarantine';
import { copyInto } from './copy';
import {
  copyLine,
  eventCopyLine,
  plainProduct,
  STAGE_COLUMNS,
  STAGE_DDL,
  stagedIdentifiers,
  stageRow,
  type Staged,
} from './staging';
import type { StagedCrm, StagedEvent } from './staging';

/** Rows per transaction: big enough for set-based merges, small enough to resume cheaply. */
export const CHUNK_ROWS = 100_000;
/** Events held before their identifiers are looked up together and they are encoded. */
const RESOLVE_ROWS = 4_096;
/** COPY text is handed to the connection in pieces of about this many characters. */
const PIECE_CHARS = 1 << 20;

export interface FileCounts {
  rowsRead: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  /** Rows naming an erased customer's identifier: refused, neither stored nor quarantined. */
  erased: number;
  nullKeys: number;
  unattributed: number;
  newest: Date | null;
}

/** A chunk as it is read: events as COPY text of the events table, CRM records as rows. */
export interface Chunk {
  /** Encoded at once: a piece kept as text would keep every source line it was cut from alive. */
  pieces: Buffer[];
  piece: string;
  events: number;
  /** Events of the chunk waiting for their identifiers to be looked up. */
  pending: StagedEvent[];
  /** Event ids of the chunk: a repeat of one of these (or of the previous chunk's) is a duplicate. */
  ids: Set<string>;
  /** Repeats dropped here, counted as duplicates. */
  repeats: number;
  unattributed: number;
  types: Set<string>;
  /** Identify events' anonymous id → user id links, stored with the chunk. */
  aliases: Array<[anonymousId: string, userId: string]>;
  crm: StagedCrm[];
  bad: BadRow[];
  /** Rows refused for naming an erased customer's identifier. */
  erased: number;
  lastLine: number;
  nullKeys: number;
  newestMs: number;
}

const emptyChunk = (lastLine: number): Chunk => ({
  pieces: [],
  piece: '',
  events: 0,
  pending: [],
  ids: new Set(),
  repeats: 0,
  unattributed: 0,
  types: new Set(),
  aliases: [],
  crm: [],
  bad: [],
  erased: 0,
  lastLine,
  nullKeys: 0,
  newestMs: -Infinity,
});

const rowsIn = (c: Chunk) => c.events + c.pending.length + c.repeats + c.crm.length + c.bad.length + c.erased;

interface LoadInput {
  runId: string;
  source: SourceConfig;
  name: string;
  sha256: string;
  /** The erased identifiers: a row naming any of them is refused before it is stored or quarantined. */
  erased: ErasedIdentifierFilter;
  onChunk?: (rowsDone: number) => void;
  chunkRows?: number;
  /** Shared by the loads of one run; a load of its own otherwise. */
  identities?: IdentityCache;
}

/**
 * Loads one file in chunks. Each chunk — its events stored by COPY, CRM records merged, bad rows
 * quarantined, progress recorded — is one transaction, so a restarted load resumes after the
 * last committed chunk and nothing is stored twice. Parsing the next chunk overlaps the database
 * work of the previous one; commits stay in order. What compute reads is derived afterwards,
 * once per ingest (derived-state.ts).
 */
export async function loadFile(db: Db, input: LoadInput & { file: string }): Promise<FileCounts> {
  return loadRows(db, { ...input, rows: (after) => readRowBatches(input.file, after) });
}

/**
 * The same for any stream of rows with stable line numbers (a file, a query ordered by its
 * cursor column), in batches; `name` and `sha256` key its progress.
 */
export async function loadRows(
  db: Db,
  input: LoadInput & { rows: (after: number) => AsyncIterable<RawRow[]> },
): Promise<FileCounts> {
  const totals: FileCounts = {
    rowsRead: 0,
    stored: 0,
    duplicates: 0,
    quarantined: 0,
    erased: 0,
    nullKeys: 0,
    unattributed: 0,
    newest: null,
  };
  for (;;) {
    try {
      await loadFromProgress(db, input, totals);
      return totals;
    } catch (err) {
      // An erasure committed while a chunk was read: its rows were judged against the list before
      // it. The chunk was rolled back; the load goes on from the last committed one, judging rows
      // against the list as it is now.
      if (!(err instanceof ErasureRaced)) throw err;
    }
  }
}

async function loadFromProgress(
  db: Db,
  input: LoadInput & { rows: (after: number) => AsyncIterable<RawRow[]> },
  totals: FileCounts,
): Promise<void> {
  const chunkRows = input.chunkRows ?? CHUNK_ROWS;
  const identities = input.identities ?? new IdentityCache();
  const progress = await db.query<{ rows_done: number }>(
    'SELECT rows_done FROM ingest_progress WHERE source = $1 AND file = $2 AND sha256 = $3',
    [input.source.name, input.name, input.sha256],
  );
  const resumeAfter = progress.rows[0]?.rows_done ?? 0;
  // A row stamped after the moment it is read is a clock error, not data: it goes to quarantine,
  // so nothing stored ever lies ahead of its own ingestion (and no watermark ahead of now).
  const stage = rowStager(input.source, input.erased, Date.now());
  const encode = async (chunk: Chunk) => {
    await identities.lookUp(
      db,
      chunk.pending.map((e) => IdentityCache.key(e.id_scheme, e.id_value)),
    );
    encodePending(input.source.name, identities, chunk);
  };

  let chunk = emptyChunk(resumeAfter);
  let previousIds = new Set<string>();
  let inFlight: Promise<void> | undefined;
  let fault: FileFault | undefined;
  try {
    for await (const batch of input.rows(resumeAfter)) {
      for (const row of batch) {
        stage(row, chunk, previousIds);
        chunk.lastLine = row.line;
        if (chunk.pending.length >= RESOLVE_ROWS) await encode(chunk);
        if (rowsIn(chunk) >= chunkRows) {
          await encode(chunk);
          await inFlight; // one chunk in the database at a time: commits stay in order
          inFlight = commitChunk(db, input, chunk, totals);
          inFlight.catch(() => undefined); // its failure surfaces at the next await
          previousIds = chunk.ids;
          chunk = emptyChunk(chunk.lastLine);
        }
      }
    }
  } catch (err) {
    // The file cannot be read on: the rows read before the fault are committed like any others
    // (counted once, never stored twice) and the caller quarantines the file.
    if (!(err instanceof FileFault)) throw err;
    fault = err;
  }
  await encode(chunk);
  await inFlight;
  if (rowsIn(chunk) > 0) await commitChunk(db, input, chunk, totals);
  if (fault) throw fault;
}

/**
 * Validates a row and adds it to the chunk: an event (pending its customer), a CRM record, or a
 * bad row with its reason, or nothing at all for a row naming an erased customer's identifier
 * (counted as erased); an event repeating one of the chunk or the chunk before (re-sent rows
 * mostly follow closely) is counted as a duplicate here, the first one kept. Plainly valid
 * product rows of a CSV file take the fast path field by field, without a record object (they
 * are the bulk of every ingest).
 */
function rowStager(
  source: SourceConfig,
  erased: ErasedIdentifierFilter,
  latestMs: number,
): (row: RawRow, chunk: Chunk, previousIds: Set<string>) => void {
  let columns: readonly string[] | undefined;
  let at: number[] = [];
  const fieldsOfKind = ['event_id', 'user_id', 'anonymous_id', 'type', 'timestamp', 'properties'];
  return (row, chunk, previousIds) => {
    if ('error' in row) {
      if (erased.rawNamesErased(row.raw)) chunk.erased += 1;
      else chunk.bad.push(badRow(row, row.error));
      return;
    }
    let staged: Staged | { reason: string } | undefined;
    if ('fields' in row && source.kind === 'product') {
      if (row.columns !== columns) {
        columns = row.columns;
        at = fieldsOfKind.map((f) => row.columns.indexOf(source.fields?.[f] ?? f));
      }
      const f = row.fields;
      staged = plainProduct(row.line, f[at[0]!], f[at[1]!], f[at[2]!], f[at[3]!], f[at[4]!], f[at[5]!], latestMs);
    }
    staged ??= stageRow(source, recordOf(row), row.line, latestMs);
    if ('reason' in staged) {
      if (erased.rawNamesErased(row.raw)) chunk.erased += 1;
      else chunk.bad.push(badRow(row, staged.reason));
      return;
    }
    if (erased.names(stagedIdentifiers(staged))) {
      chunk.erased += 1;
      return;
    }
    if (staged.nullKey) chunk.nullKeys += 1;
    if (staged.table === 'stage_crm') {
      chunk.crm.push(staged.row);
      chunk.newestMs = Math.max(chunk.newestMs, Date.parse(staged.row.updated_at));
      return;
    }
    const id = staged.row.event_id;
    if (chunk.ids.has(id) || previousIds.has(id)) {
      chunk.repeats += 1;
      return;
    }
    chunk.ids.add(id);
    chunk.pending.push(staged.row);
  };
}

/** Encodes the chunk's pending events, in line order, with the customer each resolves to. */
function encodePending(source: string, identities: IdentityCache, chunk: Chunk): void {
  for (const e of chunk.pending) {
    if (e.alias_value !== null) chunk.aliases.push([e.alias_value, e.id_value]);
    const customer = identities.get(IdentityCache.key(e.id_scheme, e.id_value)) ?? null;
    if (customer === null) chunk.unattributed += 1;
    chunk.events += 1;
    chunk.types.add(e.event_type);
    const ms = Date.parse(e.occurred_at);
    if (ms > chunk.newestMs) chunk.newestMs = ms;
    chunk.piece += eventCopyLine(source, customer, e);
    if (chunk.piece.length >= PIECE_CHARS) {
      chunk.pieces.push(Buffer.from(chunk.piece));
      chunk.piece = '';
    }
  }
  chunk.pending = [];
}

async function commitChunk(db: Db, input: LoadInput, chunk: Chunk, totals: FileCounts): Promise<void> {
  if (chunk.piece !== '') chunk.pieces.push(Buffer.from(chunk.piece));
  const crm = input.source.kind === 'crm';
  const counts = await db.transaction(async (tx) => {
    // Losing this commit in a crash is harmless: its progress row goes with it, so it is redone.
    await tx.query('SET LOCAL synchronous_commit = off');
    // A chunk's sorts and aggregates fit in memory instead of spilling to disk.
    await tx.query(`SET LOCAL work_mem = '64MB'`);
    // Holds off erasures until this chunk commits (taken before the derived state's lock, in the
    // order an erasure takes them); one committed since the chunk's rows were judged starts it over.
    if (await input.erased.caughtUp(tx)) throw new ErasureRaced();
    await holdDerivedStateShared(tx);
    let stored = 0;
    let unattributed = 0;
    if (crm) {
      await tx.query(STAGE_DDL.stage_crm);
      const columns = STAGE_COLUMNS.stage_crm;
      await copyInto(tx, 'stage_crm', columns, [
        Buffer.from(chunk.crm.map((r) => copyLine(columns.map((c) => r[c]))).join('')),
      ]);
      await tx.query('ANALYZE stage_crm');
      stored = (await mergeCrm(tx)).stored;
    } else if (chunk.events > 0) {
      const r = await storeEvents(tx, input.source.name, chunk);
      stored = r.stored;
      unattributed = r.unattributed;
    }
    const staged = crm ? chunk.crm.length : chunk.events + chunk.repeats;
    await quarantineRows(tx, { runId: input.runId, source: input.source.name, file: input.name }, chunk.bad);
    // The newest time counts once rows of the chunk were stored (duplicates move no watermark).
    const newest = stored > 0 && chunk.newestMs > -Infinity ? new Date(chunk.newestMs) : null;
    await tx.query(
      `INSERT INTO ingest_progress AS p (source, file, sha256, rows_done, stored, duplicates, quarantined, erased, null_keys, newest)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (source, file, sha256) DO UPDATE SET rows_done = EXCLUDED.rows_done, stored = p.stored + EXCLUDED.stored,
         duplicates = p.duplicates + EXCLUDED.duplicates, quarantined = p.quarantined + EXCLUDED.quarantined,
         erased = p.erased + EXCLUDED.erased, null_keys = p.null_keys + EXCLUDED.null_keys,
         newest = GREATEST(p.newest, EXCLUDED.newest), updated_at = now()`,
      [
        input.source.name,
        input.name,
        input.sha256,
        chunk.lastLine,
        stored,
        staged - stored,
        chunk.bad.length,
        chunk.erased,
        chunk.nullKeys,
        newest,
      ],
    );
    return { rowsRead: staged + chunk.bad.length + chunk.erased, stored, duplicates: staged - stored, unattributed };
  });
  totals.rowsRead += counts.rowsRead;
  totals.stored += counts.stored;
  totals.duplicates += counts.duplicates;
  totals.quarantined += chunk.bad.length;
  totals.erased += chunk.erased;
  totals.nullKeys += chunk.nullKeys;
  totals.unattributed += counts.unattributed;
  if (counts.stored > 0 && chunk.newestMs > -Infinity && (!totals.newest || chunk.newestMs > totals.newest.getTime()))
    totals.newest = new Date(chunk.newestMs);
  input.onChunk?.(chunk.lastLine);
}
