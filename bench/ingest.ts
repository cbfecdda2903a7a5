import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import pino from 'pino';
import { from as copyFrom } from 'pg-copy-streams';
import { ingestSources } from '../src/ingest/ingest-sources';
import { benchDataFromArgs, HELD_DAYS } from './compute-data';

/**
 * Ingests the days the template held back into a copy of it end to end (parse, identities, dedup,
 * quarantine accounting, COPY into events, the derived customer state brought up to date), then
 * times a bare COPY of the same product files into an unindexed table on the same server: the
 * machine's limit. Also reports what building the template took (its history ingested the same way).
 */
export async function benchIngest(args: string[]): Promise<void> {
  const data = await benchDataFromArgs(args);
  const { db, scale } = data;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    const files = fs.readdirSync(data.heldDir).sort();
    const bytes = files.reduce((n, f) => n + fs.statSync(path.join(data.heldDir, f)).size, 0);
    peakRss = process.memoryUsage().rss; // from here on: the ingest's own footprint
    const cpu0 = process.cpuUsage();
    let t0 = Date.now();
    // The ingest's own log says when the files were in and what the derivation took.
    const logged: Array<{ time: number; msg: string; attributeMs?: number; deriveMs?: number }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const summary = await ingestSources({ db, log }, { runId: 'bench', sourceDir: data.heldDir });
    const ingestSeconds = (Date.now() - t0) / 1000;
    const derived = logged.find((l) => l.msg === 'derived the state compute reads');
    const filesIn = Math.max(...logged.filter((l) => l.msg === 'ingested file').map((l) => l.time)) - t0;
    const cpu = process.cpuUsage(cpu0);
    const ingestPeakRss = peakRss;

    const client = new pg.Client({ connectionString: data.url });
    await client.connect();
    await client.query(
      'CREATE UNLOGGED TABLE bare_copy (event_id text, user_id text, anonymous_id text, type text, timestamp text, properties text)',
    );
    t0 = Date.now();
    for (const f of files.filter((name) => name.startsWith('product-'))) {
      await pipeline(
        fs.createReadStream(path.join(data.heldDir, f)),
        client.query(copyFrom('COPY bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)')),
      );
    }
    const copySeconds = (Date.now() - t0) / 1000;
    const copied = Number((await client.query('SELECT count(*) FROM bare_copy')).rows[0].count);
    const version = (await client.query("SELECT current_setting('server_version') AS v")).rows[0].v as string;
    await client.end();

    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const rate = (rows: number, s: number) => n(rows / s);
    const b = data.build;
    const lines = [
      `ingest benchmark — ${n(scale.customers)} customers × ${scale.days} days (seed ${scale.seed}), PostgreSQL ${version}`,
      b
        ? `  template     built once in ${b.total.toFixed(0)} s: generate ${b.generate} s, split ${b.split} s, ingest ${n(b.historyRows)} history rows ${b.ingest} s (${rate(b.historyRows, b.ingest)} rows/s into an empty database), derive the catalog's features ${b.derive} s, VACUUM ANALYZE ${b.vacuum} s`
        : '  template     (built before its build times were recorded)',
      `  new data     the last ${HELD_DAYS} days: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB CSV, ingested into the loaded copy`,
      `  ingest       ${n(summary.rowsRead)} rows in ${ingestSeconds.toFixed(1)} s = ${rate(summary.rowsRead, ingestSeconds)} rows/s end to end, derived state included (target ≥ 250,000 rows/s: ${(summary.rowsRead / ingestSeconds / 250_000).toFixed(2)}×; stored ${n(summary.stored)}, duplicates ${n(summary.duplicates)}, quarantined ${n(summary.quarantined)})`,
      `  where        files parsed and stored ${(filesIn / 1000).toFixed(1)} s (${rate(summary.rowsRead, filesIn / 1000)} rows/s), late identity attribution ${((derived?.attributeMs ?? 0) / 1000).toFixed(1)} s, the derived customer state brought up to date ${((derived?.deriveMs ?? 0) / 1000).toFixed(1)} s, quality checks and the rest ${(ingestSeconds - filesIn / 1000 - ((derived?.attributeMs ?? 0) + (derived?.deriveMs ?? 0)) / 1000).toFixed(1)} s`,
      `  bare COPY    ${n(copied)} product rows in ${copySeconds.toFixed(1)} s = ${rate(copied, copySeconds)} rows/s into an unindexed table`,
      `  ratio        ${((summary.rowsRead / ingestSeconds / (copied / copySeconds)) * 100).toFixed(0)}% of the bare COPY rate (target ≥ 50%)`,
      `  node CPU     ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s during the ingest (${(((cpu.user + cpu.system) / 1e6 / ingestSeconds) * 100).toFixed(0)}% of one core; the rest is waiting on PostgreSQL)`,
      `  peak RSS     ${(ingestPeakRss / 2 ** 20).toFixed(0)} MiB while ingesting (the process, as a worker would run it; target ≤ 1 GiB)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clearInterval(sampler);
    await data.drop();
  }
}
