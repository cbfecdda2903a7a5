import path from 'node:path';
import { startThrowawayPostgres } from '../src/data/throwaway-postgres';
import { benchBaseline } from './baseline';
import { benchCompute } from './compute';
import { benchIngest } from './ingest';
import { benchRefresh } from './refresh';
import { benchScores } from './scores';

// `npm run bench -- <name> [options]`: prints figures; asserts nothing (targets live in the README).
const benches: Record<string, (args: string[]) => Promise<void>> = {
  ingest: benchIngest,
  compute: benchCompute,
  refresh: benchRefresh,
  baseline: benchBaseline,
  scores: benchScores,
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const names = name ? [name] : Object.keys(benches);
  const unknown = names.find((n) => !benches[n]);
  if (unknown) throw new Error(`unknown benchmark "${unknown}"; known: ${Object.keys(benches).join(', ')}`);
  // Without a server given, the embedded PostgreSQL (no fsync, like the tests'); its cluster stays
  // in .bench-cache so the loaded template databases serve later runs.
  const given = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const embedded = given
    ? undefined
    : await startThrowawayPostgres('bench', path.resolve(__dirname, '../.bench-cache/postgres'));
  process.env.BENCH_DATABASE_URL = given ?? embedded!.url;
  try {
    for (const n of names) await benches[n]!(args);
  } finally {
    await embedded?.stop();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
