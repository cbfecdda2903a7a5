import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import pg from 'pg';
import { loadCatalog } from '../src/cohorts/catalog';
import { measuresOf } from '../src/cohorts/compile';
import { keepFeatures } from '../src/cohorts/customer-state';
import { featuresOf } from '../src/cohorts/features';
import { emptyMeasureSet } from '../src/cohorts/measures';
import { connect, type Db } from '../src/data/db';
import { migrate } from '../src/data/migrate';
import { ingestSources } from '../src/ingest/ingest-sources';
import { csvFields } from '../src/ingest/read-rows';
import { createLogger } from '../src/log';
import { generateSources } from '../src/sources/generate';

export interface BenchData {
  /** A fresh copy of the loaded history, dropped by `drop`. */
  db: Db;
  /** The files of the day after the history: what "one new day of data" ingests. */
  newDayDir: string;
  /** The files of every day after the history (HELD_DAYS): what a refresh's new data ingests. */
  heldDir: string;
  /** How the template was built, when that was recorded. */
  build: TemplateBuild | null;
  /** When the history was loaded: an asOf that sees all of it, with windows ending where the data ends. */
  loadedAt: Date;
  url: string;
  drop(): Promise<void>;
}

/** What building a template took, in seconds, and the history rows it ingested. */
export interface TemplateBuild {
  generate: number;
  split: number;
  ingest: number;
  historyRows: number;
  derive: number;
  vacuum: number;
  total: number;
}

const DAY_MS = 86_400_000;
/**
 * Days held back from the template: the ingest and refresh benches ingest them. The generated
 * population grows, so its last week is busier than the average: 6.6M rows at 1M customers.
 */
export const HELD_DAYS = 7;
const CATALOG = path.resolve(__dirname, '../catalog');

/** The features the default catalog reads, kept in customer_state (built from the events once). */
export async function keepCatalogFeatures(db: Db): Promise<void> {
  const catalog = new Map((await loadCatalog(CATALOG)).map((e) => [e.definition.id, e.definition]));
  const set = emptyMeasureSet();
  for (const d of catalog.values()) measuresOf(d, catalog, set);
  await keepFeatures(db, featuresOf(set));
}

/**
 * Generated data at a scale, loaded once through the real ingest into a template database that
 * later runs reuse (a 1M-customer load takes the best part of an hour); every run works on a
 * copy of it, so ingesting the new day never changes the template.
 */
export async function benchData(
  adminUrl: string,
  scale: { customers: number; days: number; seed: number },
  cacheDir: string,
): Promise<BenchData> {
  const template = `cf_bench_tpl_${scale.customers}_${scale.days}_${scale.seed}_held${HELD_DAYS}`;
  const dir = path.join(cacheDir, template);
  const newDayDir = path.join(dir, 'new-day');
  const heldDir = path.join(dir, 'held');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const urlOf = (name: string) => Object.assign(new URL(adminUrl), { pathname: `/${name}` }).toString();
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template])).rowCount;
    const ready = exists && fs.existsSync(path.join(dir, 'loaded'));
    if (!ready) {
      if (exists) await admin.query(`DROP DATABASE ${template} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${template}`);
      await load(urlOf(template), scale, dir);
    }
    // A template loaded by older code gains the newer migrations and the catalog's features once.
    const t = connect(urlOf(template));
    try {
      await migrate(t);
      const t0 = Date.now();
      await keepCatalogFeatures(t);
      process.stderr.write(
        `bench: the catalog's features kept in the template (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`,
      );
    } finally {
      await t.close();
    }
    const copy = `cf_bench_run_${process.pid}`;
    await admin.query(`DROP DATABASE IF EXISTS ${copy} WITH (FORCE)`);
    const t0 = Date.now();
    await admin.query(`CREATE DATABASE ${copy} TEMPLATE ${template}`);
    process.stderr.write(`bench: copied the loaded template in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const db = connect(urlOf(copy));
    const built = path.join(dir, 'build.json');
    return {
      db,
      newDayDir,
      heldDir,
      build: fs.existsSync(built) ? (JSON.parse(fs.readFileSync(built, 'utf8')) as TemplateBuild) : null,
      loadedAt: new Date(fs.readFileSync(path.join(dir, 'loaded'), 'utf8')),
      url: urlOf(copy),
      async drop() {
        await db.close();
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${copy} WITH (FORCE)`);
        await c.end();
      },
    };
  } finally {
    await admin.end();
  }
}

async function load(url: string, scale: { customers: number; days: number; seed: number }, dir: string): Promise<void> {
  const started = Date.now();
  fs.rmSync(dir, { recursive: true, force: true });
  const all = path.join(dir, 'all');
  const history = path.join(dir, 'history');
  const held = path.join(dir, 'held');
  const newDay = path.join(dir, 'new-day');
  for (const d of [all, history, held, newDay]) fs.mkdirSync(d, { recursive: true });
  // The world ends when the load starts; the last HELD_DAYS are held back for the benches to
  // ingest (the first of them alone: "one new day"), so the history stops HELD_DAYS earlier.
  const now = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const since = (t: number) => Math.round((Date.now() - t) / 100) / 10;
  const build: Partial<TemplateBuild> = {};
  let t0 = Date.now();
  await generateSources(all, { ...scale, now, format: 'csv', badRowRate: 0 });
  build.generate = since(t0);
  process.stderr.write(`bench: generated ${scale.customers} customers × ${scale.days} days in ${build.generate} s\n`);
  t0 = Date.now();
  const cut = now.getTime() - HELD_DAYS * DAY_MS;
  for (const name of fs.readdirSync(all))
    await splitAt(path.join(all, name), cut, {
      before: path.join(history, name),
      after: path.join(held, name),
      firstDay: path.join(newDay, name),
    });
  fs.rmSync(all, { recursive: true, force: true });
  build.split = since(t0);
  const db = connect(url);
  try {
    await migrate(db);
    t0 = Date.now();
    const summary = await ingestSources(
      { db, log: createLogger('warn') },
      { runId: 'bench-history', sourceDir: history, now: new Date(cut) },
    );
    build.ingest = since(t0);
    build.historyRows = summary.rowsRead;
    process.stderr.write(`bench: ingested ${summary.rowsRead} history rows in ${build.ingest} s\n`);
    t0 = Date.now();
    await keepCatalogFeatures(db);
    build.derive = since(t0);
    process.stderr.write(`bench: the catalog's features derived in ${build.derive} s\n`);
    t0 = Date.now();
    await db.query('VACUUM ANALYZE');
    build.vacuum = since(t0);
  } finally {
    await db.close();
  }
  fs.rmSync(history, { recursive: true, force: true });
  build.total = since(started);
  fs.writeFileSync(path.join(dir, 'build.json'), JSON.stringify(build));
  process.stderr.write(`bench: template built in ${build.total} s ${JSON.stringify(build)}\n`);
  fs.writeFileSync(path.join(dir, 'loaded'), new Date().toISOString());
}

/**
 * Rows whose time (`timestamp`, or a CRM record's `updated_at`) is before `cut` go to one file, the
 * rest to another, and those of the rest within a day of `cut` also to a third.
 */
async function splitAt(file: string, cut: number, out: { before: string; after: string; firstDay: string }) {
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  const [before, after, firstDay] = [out.before, out.after, out.firstDay].map((f) => fs.createWriteStream(f));
  const write = async (stream: fs.WriteStream, line: string) => {
    if (!stream.write(`${line}\n`)) await new Promise<void>((r) => stream.once('drain', () => r()));
  };
  let column = -1;
  for await (const line of lines) {
    if (column < 0) {
      const header = line.split(',');
      column = header.includes('timestamp') ? header.indexOf('timestamp') : header.indexOf('updated_at');
      if (column < 0) throw new Error(`${file}: no timestamp column`);
      for (const stream of [before!, after!, firstDay!]) await write(stream, line);
      continue;
    }
    const fields = csvFields(line);
    if (!Array.isArray(fields)) throw new Error(`${file}: a record over several lines; the bench data has none`);
    const at = Date.parse(fields[column]!);
    if (at < cut) await write(before!, line);
    else {
      await write(after!, line);
      if (at < cut + DAY_MS) await write(firstDay!, line);
    }
  }
  await Promise.all([before!, after!, firstDay!].map((s) => new Promise<void>((r) => s.end(() => r()))));
}

/**
 * The generated data set a bench's command line asks for (--customers, default 1M; --days,
 * default 90: about 52M rows; --seed), from BENCH_DATABASE_URL, loaded once and cached as a
 * template database. `more` adds a bench's own options (or another default).
 */
export async function benchDataFromArgs(
  args: string[],
  more: Record<string, { type: 'string'; default: string }> = {},
): Promise<BenchData & { scale: { customers: number; days: number; seed: number }; options: Record<string, string> }> {
  const { values } = parseArgs({
    args,
    options: {
      customers: { type: 'string', default: '1000000' },
      days: { type: 'string', default: '90' },
      seed: { type: 'string', default: '1' },
      ...more,
    },
  });
  const adminUrl = process.env.BENCH_DATABASE_URL;
  if (!adminUrl) throw new Error('BENCH_DATABASE_URL is not set (bench/main.ts sets it)');
  const scale = { customers: Number(values.customers), days: Number(values.days), seed: Number(values.seed) };
  const options = values as Record<string, string>;
  return { ...(await benchData(adminUrl, scale, path.resolve(__dirname, '../.bench-cache'))), scale, options };
}
