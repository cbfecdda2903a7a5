import { benchBaseline } from './baseline';
import { benchCompute } from './compute';
import { benchIngest } from './ingest';
import { benchScores } from './scores';

// `npm run bench -- <name> [options]`: prints figures; asserts nothing (targets live in the README).
const benches: Record<string, (args: string[]) => Promise<void>> = {
  ingest: benchIngest,
  compute: benchCompute,
  baseline: benchBaseline,
  scores: benchScores,
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const names = name ? [name] : Object.keys(benches);
  for (const n of names) {
    const bench = benches[n];
    if (!bench) throw new Error(`unknown benchmark "${n}"; known: ${Object.keys(benches).join(', ')}`);
    await bench(args);
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
