import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCatalog } from '../../src/cohorts/catalog';
import { measuresOf } from '../../src/cohorts/compile';
import { keepFeatures } from '../../src/cohorts/customer-state';
import { featuresOf } from '../../src/cohorts/features';
import { publishSnapshots } from '../../src/publishing/publish';
import { restorePrevious } from '../../src/publishing/restore';
import { testApi, type TestApi } from '../support/api';
import { rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';

const AS_OF = '2026-03-01T00:00:00.000Z';
const DAY = 86_400_000;
const TOKENS = { analyst: crypto.randomBytes(24).toString('hex'), viewer: crypto.randomBytes(24).toString('hex') };

// A catalog folder as analysts keep it: one file per cohort, comments included.
const DEFINITIONS: Record<string, string> = {
  'paying-customers': `id: paying-customers
name: Paying customers
purpose: Everyone on a paid plan.
owner: finance
tier: tactical
rule:
  trait: { name: plan, in: [pro, enterprise] }
sources: [crm]
limitations: Plans come from the CRM and lag billing by a day.
`,
  'engaged-payers': `id: engaged-payers
name: Engaged payers
purpose: Paying customers who log in often.
owner: customer-success
tier: strategic
rule:
  all:
    - in_cohort: paying-customers
    - event: { type: login, within: 30d, count: { gte: 5 } }
sources: [crm, product]
limitations: Counts logins only.
`,
  // Every kind of condition, so why's evaluator is checked against the SQL on real rows.
  'mixed-signals': `id: mixed-signals
name: Mixed signals
purpose: Exercises every kind of condition.
owner: analytics
tier: tactical
rule:
  any:
    - all:
        - event: { type: login, last: { within: 3d } }
        - measure: { name: recency_days, lte: 2 }
        - trait: { name: plan, notIn: [free] }
    - none:
        - event: { type: login, first: { before: 5d } }
        - measure: { name: velocity, window: 7d, gte: 0.5 }
sources: [crm, product]
limitations: A test cohort.
`,
  ...Object.fromEntries(
    ['board-accounts', 'renewal-accounts', 'region-accounts'].map((id) => [
      id,
      `# Reviewed every quarter with the board.
id: ${id}
name: ${id}
purpose: Accounts the board follows.
owner: revenue-operations
tier: strategic
rule:
  trait: { name: plan, in: [enterprise] } # enterprise only, by design
sources: [crm]
limitations: Enterprise plan only.
`,
    ]),
  ),
};

/** A valid definition of a tactical cohort with the given login threshold. */
const loginCohort = (id: string, logins: number) => `id: ${id}
name: Weekly reporters
purpose: Customers who log in every week.
owner: analytics
tier: tactical
rule:
  event: { type: login, within: 30d, count: { gte: ${logins} } }
sources: [product]
limitations: Logins only.
`;

let test: TestDatabase;
let catalogDir: string;
let server: TestApi;

const call = (
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  route: string,
  token: string | null = TOKENS.analyst,
  body?: unknown,
) => server.call(method, route, token, body);

const folder = () =>
  Object.fromEntries(
    fs
      .readdirSync(catalogDir)
      .sort()
      .map((f) => [f, fs.readFileSync(path.join(catalogDir, f), 'utf8')]),
  );
const versionsOf = async (id: string) =>
  (await call('GET', `/cohorts/${id}/versions`)).body.versions as Array<{
    version: number;
    change: string;
    author: string;
    rationale: string;
  }>;

async function addCustomer(id: string, plan: string, logins: number): Promise<void> {
  await test.db.query(
    `INSERT INTO customers (customer_id, plan, first_seen_at, updated_at) VALUES ($1, $2, '2025-01-01', '2025-01-01')`,
    [id, plan],
  );
  await test.db.query(
    `INSERT INTO crm_history (customer_id, updated_at, ingested_at, plan) VALUES ($1, '2025-01-01', '2025-01-01', $2)`,
    [id, plan],
  );
  for (let i = 0; i < logins; i += 1) {
    await test.db.query(
      `INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at) VALUES ('product', $1, $2, 'login', $3, $3)`,
      [`${id}-login-${i}`, id, new Date(Date.parse(AS_OF) - (i + 1) * DAY)],
    );
  }
}

beforeAll(async () => {
  test = await freshDatabase('cohorts_api');
  catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-catalog-'));
  for (const [id, text] of Object.entries(DEFINITIONS)) fs.writeFileSync(path.join(catalogDir, `${id}.yaml`), text);

  await addCustomer('cust_a', 'pro', 7);
  await addCustomer('cust_b', 'pro', 2);
  await addCustomer('cust_c', 'free', 10);
  await test.db.query(`INSERT INTO event_types (event_type) VALUES ('login')`);
  await rebuildDerivedState(test.db);

  // The refresh routes are not exercised here: a lazy Temporal connection is never dialled.
  server = await testApi(
    { db: test.db, catalogDir },
    {
      [TOKENS.analyst]: { user: 'ana', roles: ['analyst', 'viewer'] },
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
    },
  );
});

afterAll(async () => {
  await server.close();
  await test.drop();
  fs.rmSync(catalogDir, { recursive: true, force: true });
});

describe('who may use the cohort routes', () => {
  it('refuses a request without a token', async () => {
    expect((await call('GET', '/cohorts', null)).status).toBe(401);
  });

  it.each([
    [
      'PUT',
      '/cohorts/board-accounts',
      { yaml: DEFINITIONS['board-accounts'], rationale: 'a viewer trying to change it' },
    ],
    ['POST', '/cohorts/board-accounts/deprecate', { reason: 'a viewer trying to deprecate it' }],
    ['DELETE', '/cohorts/board-accounts', { reason: 'a viewer trying to delete it' }],
  ] as const)('refuses a viewer: %s %s', async (method, route, body) => {
    const before = folder();
    const answer = await call(method, route, TOKENS.viewer, body);
    expect(answer.status).toBe(403);
    expect(answer.body.message).toBe('vera lacks the analyst role');
    expect(folder()).toEqual(before);
  });

  it('lets a viewer read', async () => {
    expect((await call('GET', '/cohorts/paying-customers', TOKENS.viewer)).status).toBe(200);
  });
});

describe('reading the catalog', () => {
  it("lists the folder's cohorts with their latest recorded version", async () => {
    const { status, body } = await call('GET', '/cohorts');
    expect(status).toBe(200);
    expect(body.problems).toEqual([]);
    expect(body.cohorts).toContainEqual({
      id: 'paying-customers',
      name: 'Paying customers',
      tier: 'tactical',
      status: 'active',
      owner: 'finance',
      file: 'paying-customers.yaml',
      latestVersion: null,
      recorded: false,
    });
  });

  it('shows a definition with its file and content hash', async () => {
    const { status, body } = await call('GET', '/cohorts/paying-customers');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      id: 'paying-customers',
      file: 'paying-customers.yaml',
      definition: { tier: 'tactical', rule: { trait: { name: 'plan', in: ['pro', 'enterprise'] } } },
    });
    expect(body.contentHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('answers 404 for a cohort not in the folder', async () => {
    const { status, body } = await call('GET', '/cohorts/no-such-cohort');
    expect(status).toBe(404);
    expect(body.message).toMatch(/no cohort "no-such-cohort"/);
  });

  it('answers 400 with the path for a malformed id', async () => {
    const { status, body } = await call('GET', '/cohorts/Not_An_Id');
    expect(status).toBe(400);
    expect(body.issues[0].path).toBe('id');
  });
});

describe('validating', () => {
  it('reports a valid folder', async () => {
    const { status, body } = await call('POST', '/cohorts/validate', TOKENS.viewer);
    expect(status).toBe(200);
    expect(body).toMatchObject({ valid: true, cohorts: 6, problems: [] });
  });

  it('checks a candidate with the folder and lists every problem, writing nothing', async () => {
    const before = folder();
    const candidate = loginCohort('candidate-cohort', 3)
      .replace('sources: [product]', 'sources: [crm]')
      .replace('type: login', 'type: logn');
    const { body } = await call('POST', '/cohorts/validate', TOKENS.viewer, { yaml: candidate });
    expect(body.valid).toBe(false);
    expect(body.problems).toEqual([
      expect.stringMatching(
        /^candidate-cohort\.yaml:7: rule\.event\.type: unknown event type "logn" \(did you mean login\?\)/,
      ),
      expect.stringMatching(
        /^candidate-cohort\.yaml:8: sources: the rule reads product data \(event logn\) but sources lists crm; add product$/,
      ),
    ]);
    expect(folder()).toEqual(before);
  });
});

describe('changing a definition', () => {
  it('refuses an invalid definition with every problem, and changes nothing', async () => {
    const before = folder();
    const broken =
      loginCohort('weekly-broken', 3)
        .replace('within: 30d', 'within: 30days')
        .replace('limitations: Logins only.\n', '') + 'colour: blue\n';
    const { status, body } = await call('PUT', '/cohorts/weekly-broken', TOKENS.analyst, {
      yaml: broken,
      rationale: 'a first try at this cohort',
    });
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_definition');
    expect(body.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^weekly-broken\.yaml:7: rule\.event\.within: a window in whole days/),
        expect.stringMatching(/^weekly-broken\.yaml: limitations: /),
        expect.stringMatching(/^weekly-broken\.yaml.*colour/),
      ]),
    );
    expect(body.message.split('\n').length).toBe(body.problems.length + 1);
    expect(folder()).toEqual(before);
    expect((await call('GET', '/cohorts/weekly-broken/versions')).status).toBe(404);
  });

  it('refuses a definition that breaks the catalog, naming the near miss', async () => {
    const before = folder();
    const yaml = loginCohort('weekly-payers', 3).replace(
      '  event: { type: login',
      '  all:\n    - in_cohort: paying-customer\n    - event: { type: login',
    );
    const { status, body } = await call('PUT', '/cohorts/weekly-payers', TOKENS.analyst, {
      yaml,
      rationale: 'payers who log in weekly',
    });
    expect(status).toBe(400);
    expect(body.problems).toContainEqual(
      expect.stringMatching(
        /^weekly-payers\.yaml:\d+: rule\.all\.0\.in_cohort: no cohort "paying-customer" in the catalog \(did you mean paying-customers\?\)/,
      ),
    );
    expect(folder()).toEqual(before);
  });

  it('refuses a definition whose id is not the one in the URL', async () => {
    const { status, body } = await call('PUT', '/cohorts/weekly-other', TOKENS.analyst, {
      yaml: loginCohort('weekly-mismatch', 3),
      rationale: 'the wrong file for this cohort',
    });
    expect(status).toBe(400);
    expect(body.problems).toContainEqual(
      'weekly-other.yaml: id: "weekly-mismatch" does not match the cohort in the URL (weekly-other); PUT /cohorts/weekly-mismatch to change that cohort',
    );
    expect(fs.existsSync(path.join(catalogDir, 'weekly-other.yaml'))).toBe(false);
  });

  it('refuses a change without a rationale of a sentence', async () => {
    const { status, body } = await call('PUT', '/cohorts/weekly-terse', TOKENS.analyst, {
      yaml: loginCohort('weekly-terse', 3),
      rationale: 'new',
    });
    expect(status).toBe(400);
    expect(body.issues).toEqual([{ path: 'rationale', message: 'say why this change is needed, in a sentence' }]);
  });

  it('writes a valid definition to the folder and records version 1 by the caller', async () => {
    const yaml = loginCohort('weekly-reporters', 3);
    const { status, body } = await call('PUT', '/cohorts/weekly-reporters', TOKENS.analyst, {
      yaml,
      rationale: 'customer success asked for weekly users',
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      cohortId: 'weekly-reporters',
      version: 1,
      change: 'create',
      author: 'ana',
      rationale: 'customer success asked for weekly users',
      file: 'weekly-reporters.yaml',
      created: true,
    });
    expect(fs.readFileSync(path.join(catalogDir, 'weekly-reporters.yaml'), 'utf8')).toBe(yaml);
    expect(fs.readdirSync(catalogDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('records a change as version 2 and keeps version 1 readable', async () => {
    await call('PUT', '/cohorts/weekly-twice', TOKENS.analyst, {
      yaml: loginCohort('weekly-twice', 3),
      rationale: 'the first threshold we agreed',
    });
    const { body } = await call('PUT', '/cohorts/weekly-twice', TOKENS.analyst, {
      yaml: loginCohort('weekly-twice', 4),
      rationale: 'three logins let in occasional users',
    });
    expect(body).toMatchObject({ version: 2, change: 'update', rationale: 'three logins let in occasional users' });

    const first = await call('GET', '/cohorts/weekly-twice/versions/1');
    expect(first.body).toMatchObject({
      version: 1,
      change: 'create',
      definition: { rule: { event: { count: { gte: 3 } } } },
    });
    expect((await versionsOf('weekly-twice')).map((v) => [v.version, v.change, v.author])).toEqual([
      [1, 'create', 'ana'],
      [2, 'update', 'ana'],
    ]);
  });

  it('answers 404 for a version never recorded', async () => {
    expect((await call('GET', '/cohorts/weekly-twice/versions/9')).status).toBe(404);
  });
});

describe('deprecating', () => {
  it('refuses a strategic cohort without a reason and changes nothing', async () => {
    const before = folder();
    const { status, body } = await call('POST', '/cohorts/board-accounts/deprecate', TOKENS.analyst, {});
    expect(status).toBe(409);
    expect(body.error).toBe('guardrail');
    expect(folder()).toEqual(before);
    expect(await versionsOf('board-accounts')).toEqual([]);
  });

  it('deprecates with a reason: a deprecate version, the file edited with its comments kept', async () => {
    const { status, body } = await call('POST', '/cohorts/renewal-accounts/deprecate', TOKENS.analyst, {
      reason: 'replaced by the account-tier cohorts',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      change: 'deprecate',
      author: 'ana',
      rationale: 'replaced by the account-tier cohorts',
    });
    const text = fs.readFileSync(path.join(catalogDir, 'renewal-accounts.yaml'), 'utf8');
    expect(text).toBe(
      DEFINITIONS['renewal-accounts']!.replace(
        'tier: strategic\n',
        'tier: strategic\nstatus: deprecated\ndeprecationReason: replaced by the account-tier cohorts\n',
      ),
    );
    // The file as found is recorded first, so the history shows what was deprecated.
    expect((await versionsOf('renewal-accounts')).map((v) => v.change)).toEqual(['create', 'deprecate']);
  });

  it('deprecates a tactical cohort in place, keeping the comment on its status line', async () => {
    const yaml = loginCohort('weekly-retired', 3).replace(
      'tier: tactical\n',
      'tier: tactical\nstatus: active # until the new dashboard ships\n',
    );
    await call('PUT', '/cohorts/weekly-retired', TOKENS.analyst, {
      yaml,
      rationale: 'the old weekly dashboard uses it',
    });
    const reason = 'superseded: see weekly-reporters #2';
    expect((await call('POST', '/cohorts/weekly-retired/deprecate', TOKENS.analyst, { reason })).body).toMatchObject({
      version: 2,
      change: 'deprecate',
    });
    expect(fs.readFileSync(path.join(catalogDir, 'weekly-retired.yaml'), 'utf8')).toContain(
      'status: deprecated # until the new dashboard ships\ndeprecationReason: "superseded: see weekly-reporters #2"\n',
    );
    expect((await call('GET', '/cohorts/weekly-retired')).body.definition).toMatchObject({
      status: 'deprecated',
      deprecationReason: reason,
    });
  });

  it('refuses while an active cohort builds on it, naming it', async () => {
    const before = folder();
    const { status, body } = await call('POST', '/cohorts/paying-customers/deprecate', TOKENS.analyst, {
      reason: 'plans are moving to billing',
    });
    expect(status).toBe(409);
    expect(body.referrers).toEqual([{ id: 'engaged-payers', status: 'active', file: 'engaged-payers.yaml' }]);
    expect(folder()).toEqual(before);
  });
});

describe('deleting', () => {
  it('refuses while another cohort refers to it', async () => {
    const before = folder();
    const { status, body } = await call('DELETE', '/cohorts/paying-customers', TOKENS.analyst, {
      reason: 'plans are moving to billing',
    });
    expect(status).toBe(409);
    expect(body.message).toMatch(/used through in_cohort by engaged-payers/);
    expect(folder()).toEqual(before);
  });

  it('refuses a strategic cohort without a reason and changes nothing', async () => {
    const before = folder();
    const { status, body } = await call('DELETE', '/cohorts/region-accounts', TOKENS.analyst, { reason: 'old' });
    expect(status).toBe(409);
    expect(body.error).toBe('guardrail');
    expect(folder()).toEqual(before);
    expect(await versionsOf('region-accounts')).toEqual([]);
  });

  it('records the tombstone, removes the file, and keeps old versions readable', async () => {
    await call('PUT', '/cohorts/old-promo', TOKENS.analyst, {
      yaml: loginCohort('old-promo', 2),
      rationale: 'for the spring promotion',
    });
    const { status, body } = await call('DELETE', '/cohorts/old-promo', TOKENS.analyst, {
      reason: 'the promotion ended',
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ cohortId: 'old-promo', version: 2, change: 'delete', fileRemoved: 'old-promo.yaml' });
    expect(fs.existsSync(path.join(catalogDir, 'old-promo.yaml'))).toBe(false);
    expect((await call('GET', '/cohorts/old-promo')).status).toBe(404);
    expect((await versionsOf('old-promo')).map((v) => [v.change, v.rationale])).toEqual([
      ['create', 'for the spring promotion'],
      ['delete', 'the promotion ended'],
    ]);
    expect((await call('GET', '/cohorts/old-promo/versions/1')).body.definition.id).toBe('old-promo');
  });
});

describe('inspecting a cohort', () => {
  it('previews size and the first members by id, writing nothing', async () => {
    const { status, body } = await call(
      'GET',
      `/cohorts/paying-customers/preview?asOf=${AS_OF}&sample=1`,
      TOKENS.viewer,
    );
    expect(status).toBe(200);
    expect(body).toEqual({ cohortId: 'paying-customers', asOf: AS_OF, size: 2, sample: ['cust_a'] });
    expect((await test.db.query('SELECT 1 FROM cohort_snapshots')).rowCount).toBe(0);
  });

  it("previews a cohort built on another one, inlining the other's rule", async () => {
    const { body } = await call('GET', `/cohorts/engaged-payers/preview?asOf=${AS_OF}`, TOKENS.viewer);
    expect(body).toMatchObject({ size: 1, sample: ['cust_a'] });
  });

  it('explains the compiled statement with its parameters and plan, read from the raw rows while no run keeps its features', async () => {
    const { status, body } = await call('GET', `/cohorts/engaged-payers/explain?asOf=${AS_OF}`, TOKENS.viewer);
    expect(status).toBe(200);
    expect(body.readsFrom).toBe('events');
    expect(body.sql).toMatch(/FROM events e/);
    expect(body.params[0]).toBe(AS_OF);
    expect(body.params).toContainEqual(['login']);
    expect(body.plan).toMatch(/Scan on events/);
    expect(body.plan).not.toMatch(/actual time/);
  });

  it('explains the statement over the derived customer state once a run keeps the features it reads', async () => {
    const catalog = new Map((await loadCatalog(catalogDir)).map((e) => [e.definition.id, e.definition]));
    await keepFeatures(test.db, featuresOf(measuresOf(catalog.get('engaged-payers')!, catalog)));
    const { status, body } = await call('GET', `/cohorts/engaged-payers/explain?asOf=${AS_OF}`, TOKENS.viewer);
    expect(status).toBe(200);
    expect(body.readsFrom).toBe('state');
    expect(body.plan).toMatch(/Scan on customer_state/);
    expect(body.plan).not.toMatch(/Scan on events/);
  });

  it('refuses a malformed asOf with its path', async () => {
    const { status, body } = await call('GET', '/cohorts/engaged-payers/explain?asOf=yesterday', TOKENS.viewer);
    expect(status).toBe(400);
    expect(body.issues.map((i: { path: string }) => i.path)).toEqual(['asOf']);
  });

  it('refuses a sample size out of range', async () => {
    const { status, body } = await call('GET', '/cohorts/engaged-payers/preview?sample=0', TOKENS.viewer);
    expect(status).toBe(400);
    expect(body.issues[0].path).toBe('sample');
  });
});

describe('why a customer is or is not a member', () => {
  const why = (customer: string) => call('GET', `/cohorts/engaged-payers/why/${customer}?asOf=${AS_OF}`, TOKENS.viewer);

  it('shows the figures that made a member', async () => {
    const { status, body } = await why('cust_a');
    expect(status).toBe(200);
    expect(body).toMatchObject({ member: true, existedAtAsOf: true, published: null });
    expect(body.warning).toBeUndefined();
    expect(body.rule).toMatchObject({
      holds: true,
      children: [
        {
          text: 'in_cohort paying-customers',
          holds: true,
          children: [{ text: 'trait plan = "pro" in [pro, enterprise]', holds: true }],
        },
        { text: 'event login within 30d count = 7 (gte 5)', holds: true },
      ],
    });
  });

  it('shows the figure that kept a customer out', async () => {
    const { body } = await why('cust_b');
    expect(body.member).toBe(false);
    expect(body.warning).toBeUndefined();
    expect(body.rule.children[1]).toMatchObject({ text: 'event login within 30d count = 2 (gte 5)', holds: false });
  });

  it('follows in_cohort into the referenced rule for a non-payer', async () => {
    const { body } = await why('cust_c');
    expect(body.member).toBe(false);
    expect(body.rule.children[0].children[0]).toMatchObject({
      text: 'trait plan = "free" in [pro, enterprise]',
      holds: false,
    });
  });

  it('says whether the customer is in the latest published snapshot', async () => {
    await call('PUT', '/cohorts/engaged-payers', TOKENS.analyst, {
      yaml: DEFINITIONS['engaged-payers'],
      rationale: 'recorded to publish it in this test',
    });
    await test.db.query(
      `INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ('run-why', 'adhoc', 'all', 'olivia', 'test')`,
    );
    await test.db.query(
      `INSERT INTO cohort_snapshots (snapshot_id, run_id, cohort_id, definition_version, as_of, source_watermarks, size, content_hash)
                         VALUES ('snap-why', 'run-why', 'engaged-payers', 1, $1, '{}', 1, 'x')`,
      [AS_OF],
    );
    await test.db.query(
      `INSERT INTO snapshot_chunks (snapshot_id, block, members) SELECT 'snap-why', customer_no >> 16, ARRAY[customer_no] FROM customers WHERE customer_id = 'cust_a'`,
    );
    await test.db.query(
      `INSERT INTO cohort_current (cohort_id, snapshot_id, run_id, published_at) VALUES ('engaged-payers', 'snap-why', 'run-why', now())`,
    );

    expect((await why('cust_a')).body.published).toMatchObject({
      snapshotId: 'snap-why',
      runId: 'run-why',
      member: true,
    });
    expect((await why('cust_b')).body.published).toMatchObject({ snapshotId: 'snap-why', member: false });
  });

  it('says a cohort was withdrawn when its only publish was rolled back, rather than "not published yet"', async () => {
    await call('PUT', '/cohorts/paying-customers', TOKENS.analyst, {
      yaml: DEFINITIONS['paying-customers'],
      rationale: 'recorded to publish and withdraw it in this test',
    });
    await test.db.query(
      `INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ('run-withdrawn', 'adhoc', 'all', 'olivia', 'test')`,
    );
    await test.db.query(
      `INSERT INTO cohort_snapshots (snapshot_id, run_id, cohort_id, definition_version, as_of, source_watermarks, size, content_hash)
                         VALUES ('snap-withdrawn', 'run-withdrawn', 'paying-customers', 1, $1, '{}', 0, 'y')`,
      [AS_OF],
    );
    await publishSnapshots(test.db, { runId: 'run-withdrawn', snapshotIds: ['snap-withdrawn'], approvedBy: 'arthur' });
    await restorePrevious(test.db, {
      runId: 'run-withdrawn',
      rollbackId: 'run-withdrawn:rollback:1',
      cohorts: ['paying-customers'],
      requestedBy: 'arthur',
      reason: 'published by mistake',
    });
    const { body } = await call('GET', `/cohorts/paying-customers/why/cust_a?asOf=${AS_OF}`, TOKENS.viewer);
    expect(body).toMatchObject({
      published: null,
      withdrawn: { version: 2, runId: 'run-withdrawn:rollback:1', reason: 'published by mistake' },
    });
    expect((await why('cust_a')).body.withdrawn).toBeNull();
  });

  it.each(['cust_a', 'cust_b', 'cust_c'])('agrees with the SQL on every kind of condition: %s', async (customer) => {
    const { body } = await call('GET', `/cohorts/mixed-signals/why/${customer}?asOf=${AS_OF}`, TOKENS.viewer);
    expect(body.warning).toBeUndefined();
    expect(body.rule.holds).toBe(body.member);
  });

  it('answers 404 for an unknown customer', async () => {
    const { status, body } = await why('cust_nobody');
    expect(status).toBe(404);
    expect(body.message).toBe('no customer "cust_nobody"');
  });
});
