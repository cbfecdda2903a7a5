import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { connect } from '../src/data/db';
import { migrate } from '../src/data/migrate';
import { ingestSources } from '../src/ingest/ingest-sources';
import { createLogger } from '../src/log';
import { generateSources } from '../src/sources/generate';

/**
 * Generates data at the given scale, ingests it end to end (COPY → staging → set-based merge
 * with dedup, identities and rollups) into a fresh database, then times a bare COPY of the same
 * product files into an unindexed table on the same server: the machine's limit.
 */
export async function benchIngest(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      customers: { type: 'string', default: '20000' },
      days: { type: 'string', default: '90' },
      seed: { type: 'string', default: '1' },
      keep: { type: 'boolean', default: false },
    },
  });
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) throw new Error('BENCH_DATABASE_URL is not set (bench/main.ts sets it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-bench-'));
  const name = `cf_bench_${crypto.randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = connect(url.toString());
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  try {
    await migrate(db);
    let t0 = Date.now();
    // No bad rows: the bare COPY it is compared with cannot skip them (quarantine is measured by the tests).
    const generated = await generateSources(dir, {
      customers: Number(values.customers),
      days: Number(values.days),
      seed: Number(values.seed),
      format: 'csv',
      badRowRate: 0,
    });
    const genSeconds = (Date.now() - t0) / 1000;
    const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);

    peakRss = process.memoryUsage().rss; // from here on: the ingest's own footprint
    const cpu0 = process.cpuUsage();
    t0 = Date.now();
    const summary = await ingestSources({ db, log: createLogger('warn') }, { runId: 'bench', sourceDir: dir });
    const ingestSeconds = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const ingestPeakRss = peakRss;

    const productFiles = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('product-'))
      .sort();
    const productRows = summary.sources.find((s) => s.source === 'product')?.rowsRead ?? 0;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    await client.query(
      'CREATE UNLOGGED TABLE bare_copy (event_id text, user_id text, anonymous_id text, type text, timestamp text, properties text)',
    );
    t0 = Date.now();
    for (const f of productFiles) {
      await pipeline(
        fs.createReadStream(path.join(dir, f)),
        client.query(copyFrom('COPY bare_copy FROM STDIN WITH (FORMAT csv, HEADER true)')),
      );
    }
    const copySeconds = (Date.now() - t0) / 1000;
    const copied = Number((await client.query('SELECT count(*) FROM bare_copy')).rows[0].count);
    await client.end();

    const rate = (rows: number, s: number) => Math.round(rows / s).toLocaleString('en-US');
    const lines = [
      `ingest benchmark — ${values.customers} customers × ${values.days} days (seed ${values.seed}), PostgreSQL ${(await db.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v}`,
      `  generated    ${summary.rowsRead.toLocaleString('en-US')} rows, ${(bytes / 1e6).toFixed(1)} MB CSV in ${genSeconds.toFixed(1)} s (${JSON.stringify(Object.fromEntries(Object.entries(generated).map(([k, v]) => [k, (v as { rows: number }).rows])))})`,
      `  ingest       ${summary.rowsRead.toLocaleString('en-US')} rows in ${ingestSeconds.toFixed(1)} s = ${rate(summary.rowsRead, ingestSeconds)} rows/s end to end (stored ${summary.stored}, duplicates ${summary.duplicates}, quarantined ${summary.quarantined})`,
      `  bare COPY    ${copied.toLocaleString('en-US')} product rows in ${copySeconds.toFixed(1)} s = ${rate(copied, copySeconds)} rows/s into an unindexed table`,
      `  ratio        ${((summary.rowsRead / ingestSeconds / (copied / copySeconds)) * 100).toFixed(0)}% of the bare COPY rate (product rows alone: ${productRows.toLocaleString('en-US')})`,
      `  node CPU     ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s during the ingest (${(((cpu.user + cpu.system) / 1e6 / ingestSeconds) * 100).toFixed(0)}% of one core; the rest is waiting on PostgreSQL)`,
      `  peak RSS     ${(ingestPeakRss / 2 ** 20).toFixed(0)} MiB while ingesting (the process, as a worker would run it)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    clearInterval(sampler);
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    if (!values.keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
