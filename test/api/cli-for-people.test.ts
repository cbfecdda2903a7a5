import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { listenApi, type ListeningApi } from '../support/api';
import { freshDatabase, type TestDatabase } from '../support/db';

// The CLI as a person meets it: validating definitions (offline for CI, or through the API) with
// every problem at once, and errors that say which address was tried and which setting named it.

const ROOT = path.resolve(__dirname, '../..');
const VIEWER = 'cli-viewer-token-0123456789';
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-cli-'));
let test: TestDatabase;
let api: ListeningApi;

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^(COHORTFLOW_API_URL|API_PORT|TEMPORAL_|COHORTFLOW_CATALOG_DIR)/.test(k),
    ),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: { ...clean, COHORTFLOW_TOKEN: VIEWER, LOG_LEVEL: 'warn', ...env } },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

const definition = (id: string, rule: string, extra = '') => `id: ${id}
name: ${id}
purpose: A draft in a pull request.
owner: growth
tier: tactical
sources: [crm]
limitations: none
${extra}rule:
  all:
${rule}
`;

beforeAll(async () => {
  test = await freshDatabase('cli_people');
  const catalogDir = path.join(home, 'server-catalog');
  fs.mkdirSync(catalogDir);
  fs.copyFileSync(path.join(ROOT, 'catalog/paying-customers.yaml'), path.join(catalogDir, 'paying-customers.yaml'));
  api = await listenApi({ db: test.db, catalogDir }, { [VIEWER]: { user: 'vera', roles: ['viewer'] } });
  fs.mkdirSync(path.join(home, 'drafts'));
  // One file with a schema problem and a reference problem; another with a window typo.
  fs.writeFileSync(
    path.join(home, 'drafts/weekly.yaml'),
    definition('weekly-buyers', '    - in_cohort: paying-customer', 'tier: tacticle\n').replace('tier: tactical\n', ''),
  );
  fs.writeFileSync(
    path.join(home, 'drafts/trials.yaml'),
    definition(
      'trial-logins',
      '    - trait: { name: plan, in: [trial] }\n    - event: { type: login, within: 30x, count: { gte: 1 } }',
    ),
  );
});

afterAll(async () => {
  await api.close();
  await test.drop();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('cohorts validate --offline (CI on a pull request of catalog changes)', () => {
  it('checks the repository catalog without an API or a database, saying what it could not check', async () => {
    const { code, stdout } = await cli(['cohorts', 'validate', '--offline', 'catalog']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^valid: 16 cohort\(s\) in catalog/);
    expect(stdout).toMatch(/not checked offline: product event types/);
  });

  it('takes a folder of drafts and lists every problem of every file at once, with file and line', async () => {
    const drafts = path.join(home, 'drafts');
    const { code, stdout } = await cli(['cohorts', 'validate', '--catalog', 'catalog', drafts]);
    expect(code).toBe(1);
    expect(stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'invalid: 3 problem(s)',
        expect.stringMatching(
          new RegExp(`^  ${drafts}/trials\\.yaml:\\d+: rule\\.all\\.1\\.event\\.within: a window in whole days`),
        ),
        expect.stringMatching(new RegExp(`^  ${drafts}/weekly\\.yaml:\\d+: tier: Invalid option`)),
        expect.stringMatching(
          new RegExp(
            `^  ${drafts}/weekly\\.yaml:\\d+: rule\\.all\\.0\\.in_cohort: no cohort "paying-customer" in the catalog \\(did you mean paying-customers\\?\\)`,
          ),
        ),
      ]),
    );
  });

  it('checks event types offline when given them', async () => {
    const file = path.join(home, 'drafts/trials.yaml');
    const fixed = path.join(home, 'fixed.yaml');
    fs.writeFileSync(fixed, fs.readFileSync(file, 'utf8').replace('30x', '30d').replace('type: login', 'type: logn'));
    const { code, stdout } = await cli(['cohorts', 'validate', '--offline', '--event-types', 'login,search', fixed]);
    expect(code).toBe(1);
    expect(stdout).toMatch(
      /fixed\.yaml:\d+: rule\.all\.1\.event\.type: unknown event type "logn" \(did you mean login\?\)/,
    );
    expect(stdout).not.toMatch(/not checked offline/);
  });
});

describe('cohorts validate through the API', () => {
  it('sends every file of a folder and reports problems under the paths given', async () => {
    const drafts = path.join(home, 'drafts');
    const { code, stdout } = await cli(['cohorts', 'validate', drafts], { COHORTFLOW_API_URL: api.base });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^invalid: 3 problem\(s\)/);
    expect(stdout).toContain(`${drafts}/weekly.yaml:`);
    expect(stdout).toContain(`${drafts}/trials.yaml:`);
  });
});

describe('errors that say where the CLI looked', () => {
  it('names the API address and COHORTFLOW_API_URL when nothing answers there', async () => {
    const port = await closedPort();
    const { code, stderr } = await cli(['refresh', 'status', 'refresh-x'], {
      COHORTFLOW_API_URL: `http://127.0.0.1:${port}`,
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      new RegExp(
        `cannot reach the cohortflow API at http://127\\.0\\.0\\.1:${port} \\(from COHORTFLOW_API_URL\\): ECONNREFUSED`,
      ),
    );
  });

  it('names API_PORT when that is where the address came from', async () => {
    const port = await closedPort();
    const { stderr } = await cli(['cohorts', 'list'], { API_PORT: String(port) });
    expect(stderr).toMatch(new RegExp(`at http://127\\.0\\.0\\.1:${port} \\(from API_PORT`));
  });

  it('says which API refused the token, in case it is another instance', async () => {
    const { code, stderr } = await cli(['cohorts', 'list'], {
      COHORTFLOW_API_URL: api.base,
      COHORTFLOW_TOKEN: 'a-token-of-another-instance',
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`401`);
    expect(stderr).toContain(`the API at ${api.base} (from COHORTFLOW_API_URL) does not know COHORTFLOW_TOKEN`);
  });

  it('names the Temporal address and TEMPORAL_ADDRESS for the commands that read Temporal', async () => {
    const port = await closedPort();
    const { code, stderr } = await cli(['replay', 'refresh-x'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${port} \\(from TEMPORAL_ADDRESS\\)`));
  });
});
