import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';
import type { Db, Queryable } from '../data/db';
import type { Logger } from '../log';
import type { IngestSummary } from '../workflows/types';
import { readRows } from './read-rows';
import { CustomerRow, describeIssues, EventRow, sourceKindOf, type SourceKind } from './rows';

const BATCH = 1000;
/** Events stamped further ahead than this are clock errors, not data. */
const FUTURE_TOLERANCE_MS = 60 * 60 * 1000;

interface FileReport {
  rowsRead: number;
  stored: number;
  duplicates: number;
  quarantined: number;
}

interface Quarantined {
  line: number;
  raw: string;
  reason: string;
}

/**
 * Ingests every new file of the source folder: customers first (they create the identities
 * events resolve against), then events. Each file is one transaction together with its
 * ingested_files row, so a retry after a crash redoes the file and a re-run skips it.
 */
export async function ingestFiles(deps: { db: Db; log: Logger }, input: { runId: string; sourceDir: string; heartbeat?: (detail: unknown) => void }): Promise<IngestSummary> {
  const summary: IngestSummary = { runId: input.runId, filesRead: 0, filesSkipped: 0, rowsRead: 0, stored: 0, duplicates: 0, quarantined: 0, watermarks: {} };
  const names = fs.existsSync(input.sourceDir) ? await fsp.readdir(input.sourceDir) : [];
  const files = names
    .map((name) => ({ name, kind: sourceKindOf(name) }))
    .filter((f): f is { name: string; kind: SourceKind } => f.kind !== undefined)
    .sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'customers' ? -1 : 1));

  for (const { name, kind } of files) {
    const file = path.join(input.sourceDir, name);
    const sha256 = await hashFile(file);
    const report = await deps.db.transaction(async (tx) => {
      const seen = await tx.query('SELECT 1 FROM ingested_files WHERE source = $1 AND file = $2 AND sha256 = $3', [kind, name, sha256]);
      if (seen.rowCount) return undefined;
      const r = kind === 'customers' ? await loadCustomers(tx, input.runId, file) : await loadEvents(tx, input.runId, file);
      await tx.query('INSERT INTO ingested_files (source, file, sha256, run_id, rows_read) VALUES ($1, $2, $3, $4, $5)', [kind, name, sha256, input.runId, r.rowsRead]);
      return r;
    });
    input.heartbeat?.({ file: name });
    if (!report) {
      summary.filesSkipped += 1;
      continue;
    }
    summary.filesRead += 1;
    summary.rowsRead += report.rowsRead;
    summary.stored += report.stored;
    summary.duplicates += report.duplicates;
    summary.quarantined += report.quarantined;
    deps.log.info({ file: name, kind, ...report }, 'ingested file');
  }
  const marks = await deps.db.query<{ source: string; watermark: Date }>('SELECT source, watermark FROM source_watermarks');
  for (const m of marks.rows) summary.watermarks[m.source] = m.watermark.toISOString();
  return summary;
}

async function hashFile(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function quarantine(tx: Queryable, runId: string, source: SourceKind, file: string, rows: Quarantined[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO quarantine (run_id, source, file, line, raw, reason)
     SELECT $1, $2, $3, * FROM unnest($4::int[], $5::text[], $6::text[])`,
    [runId, source, path.basename(file), rows.map((r) => r.line), rows.map((r) => r.raw), rows.map((r) => r.reason)],
  );
}

/** The rows of a file that parse and pass the schema; every other one goes to `bad` with its reason. */
async function* validRows<S extends z.ZodTypeAny>(file: string, schema: S, report: FileReport, bad: Quarantined[]): AsyncGenerator<{ line: number; raw: string; data: z.infer<S> }> {
  for await (const row of readRows(file)) {
    report.rowsRead += 1;
    if ('error' in row) {
      bad.push({ line: row.line, raw: row.raw, reason: row.error });
      continue;
    }
    const parsed = schema.safeParse(row.record);
    if (!parsed.success) {
      bad.push({ line: row.line, raw: row.raw, reason: describeIssues(parsed.error, row.record) });
      continue;
    }
    yield { line: row.line, raw: row.raw, data: parsed.data };
  }
}

async function loadCustomers(tx: Queryable, runId: string, file: string): Promise<FileReport> {
  const report: FileReport = { rowsRead: 0, stored: 0, duplicates: 0, quarantined: 0 };
  let batch: CustomerRow[] = [];
  const bad: Quarantined[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    // Last row wins within a batch, as it would row by row.
    const byId = new Map(batch.map((r) => [r.customer_id, r]));
    report.duplicates += batch.length - byId.size;
    const rows = [...byId.values()];
    await tx.query(
      `INSERT INTO customers (customer_id, email, plan, country, lifecycle_stage, signup_at, first_seen_at, updated_at)
       SELECT id, email, plan, country, stage, signup, now(), now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS t(id, email, plan, country, stage, signup)
       ON CONFLICT (customer_id) DO UPDATE SET
         email = COALESCE(EXCLUDED.email, customers.email),
         plan = COALESCE(EXCLUDED.plan, customers.plan),
         country = COALESCE(EXCLUDED.country, customers.country),
         lifecycle_stage = COALESCE(EXCLUDED.lifecycle_stage, customers.lifecycle_stage),
         signup_at = COALESCE(EXCLUDED.signup_at, customers.signup_at),
         updated_at = now()`,
      [rows.map((r) => r.customer_id), rows.map((r) => r.email ?? null), rows.map((r) => r.plan ?? null), rows.map((r) => r.country ?? null), rows.map((r) => r.lifecycle_stage ?? null), rows.map((r) => r.signup_at ?? null)],
    );
    await tx.query(
      `INSERT INTO identities (scheme, external_id, customer_id)
       SELECT 'customer_id', id, id FROM unnest($1::text[]) AS id
       UNION ALL
       SELECT 'email', email, id FROM unnest($1::text[], $2::text[]) AS t(id, email) WHERE email IS NOT NULL
       ON CONFLICT (scheme, external_id) DO UPDATE SET customer_id = EXCLUDED.customer_id`,
      [rows.map((r) => r.customer_id), rows.map((r) => r.email ?? null)],
    );
    report.stored += rows.length;
    batch = [];
  };

  for await (const row of validRows(file, CustomerRow, report, bad)) {
    batch.push(row.data);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await quarantine(tx, runId, 'customers', file, bad);
  report.quarantined = bad.length;
  return report;
}

interface PendingEvent extends EventRow {
  line: number;
  raw: string;
}

async function loadEvents(tx: Queryable, runId: string, file: string): Promise<FileReport> {
  const report: FileReport = { rowsRead: 0, stored: 0, duplicates: 0, quarantined: 0 };
  const bad: Quarantined[] = [];
  const latest = Date.now() + FUTURE_TOLERANCE_MS;
  let batch: PendingEvent[] = [];
  let newest: Date | undefined;

  const flush = async () => {
    if (batch.length === 0) return;
    const lookups = await tx.query<{ scheme: string; external_id: string; customer_id: string }>(
      `SELECT scheme, external_id, customer_id FROM identities
       WHERE (scheme = 'customer_id' AND external_id = ANY($1::text[])) OR (scheme = 'email' AND external_id = ANY($2::text[]))`,
      [batch.map((e) => e.customer_id).filter(Boolean), batch.map((e) => e.email).filter(Boolean)],
    );
    const known = new Map(lookups.rows.map((r) => [`${r.scheme}:${r.external_id}`, r.customer_id]));
    const resolved: Array<PendingEvent & { canonical: string }> = [];
    for (const e of batch) {
      const canonical = (e.customer_id && known.get(`customer_id:${e.customer_id}`)) || (e.email && known.get(`email:${e.email}`));
      if (canonical) resolved.push({ ...e, canonical });
      else bad.push({ line: e.line, raw: e.raw, reason: `unknown customer: ${e.customer_id ? `customer_id "${e.customer_id}"` : `email "${e.email}"`} is not in any customers file` });
    }
    const inserted = await tx.query(
      `INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at, value, properties)
       SELECT 'events', id, cid, type, at, now(), value, props
       FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::numeric[], $6::jsonb[]) AS t(id, cid, type, at, value, props)
       ON CONFLICT (source, event_id) DO NOTHING`,
      [resolved.map((e) => e.event_id), resolved.map((e) => e.canonical), resolved.map((e) => e.type), resolved.map((e) => e.timestamp), resolved.map((e) => e.value ?? null), resolved.map((e) => JSON.stringify(e.properties ?? {}))],
    );
    for (const e of resolved) if (!newest || e.timestamp > newest) newest = e.timestamp;
    report.stored += inserted.rowCount ?? 0;
    report.duplicates += resolved.length - (inserted.rowCount ?? 0);
    batch = [];
  };

  for await (const { line, raw, data } of validRows(file, EventRow, report, bad)) {
    if (data.timestamp.getTime() > latest) {
      bad.push({ line, raw, reason: `timestamp: in the future (${data.timestamp.toISOString()})` });
      continue;
    }
    batch.push({ ...data, line, raw });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  await quarantine(tx, runId, 'events', file, bad);
  if (newest) {
    await tx.query(
      `INSERT INTO source_watermarks (source, watermark) VALUES ('events', $1)
       ON CONFLICT (source) DO UPDATE SET watermark = GREATEST(source_watermarks.watermark, EXCLUDED.watermark), updated_at = now()`,
      [newest],
    );
  }
  report.quarantined = bad.length;
  return report;
}
