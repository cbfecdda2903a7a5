import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkCatalog } from '../../src/cohorts/catalog-folder';
import { compileRunCohorts } from '../../src/cohorts/compile';
import type { CohortDefinition } from '../../src/cohorts/definition';
import { listenApi, type ListeningApi } from '../support/api';
import { addCustomer, rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';

// Definitions written to hurt, sent as an analyst sends any change (PUT /cohorts/:id, POST
// /cohorts/validate): each is refused with a 400 naming the file, line and path before anything
// is written, and a chain built to explode compiles to SQL that grows with its length.

const TOKEN = crypto.randomBytes(24).toString('hex');
const AS_OF = '2026-03-01T00:00:00.000Z';
let test: TestDatabase;
let catalogDir: string;
let server: ListeningApi;

async function call(method: 'GET' | 'POST' | 'PUT', route: string, body?: unknown) {
  const response = await fetch(`${server.base}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as any };
}

const definition = (id: string, rule: string, extra = '') =>
  `id: ${id}\nname: ${id}\npurpose: An attack.\nowner: mallory\ntier: tactical\nsources: [crm, product]\nlimitations: None.\n${extra}rule: ${rule}\n`;

const folder = () =>
  Object.fromEntries(fs.readdirSync(catalogDir).map((f) => [f, fs.readFileSync(path.join(catalogDir, f), 'utf8')]));
const versions = async () =>
  (await test.db.query('SELECT count(*)::int AS n FROM cohort_definitions')).rows[0].n as number;

beforeAll(async () => {
  test = await freshDatabase('definition_bombs');
  catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-bombs-'));
  for (const [id, plan] of [
    ['b1', 'pro'],
    ['b2', 'pro'],
    ['b3', 'free'],
  ])
    await addCustomer(test.db, id!, { plan });
  await test.db.query(`INSERT INTO event_types (event_type) VALUES ('login')`);
  await rebuildDerivedState(test.db); // rows written by hand: derived as an ingest would
  server = await listenApi({ db: test.db, catalogDir }, { [TOKEN]: { user: 'mallory', roles: ['analyst', 'viewer'] } });
});

afterAll(async () => {
  await server.close();
  await test.drop();
  fs.rmSync(catalogDir, { recursive: true, force: true });
});

const rule = (depth: number) => {
  let r = '{trait: {name: plan, in: [pro]}}';
  for (let i = 0; i < depth; i += 1) r = `{all: [${r}]}`;
  return r;
};

/** Nine anchors, each nine aliases of the one before: 9^5 = 59,049 copies once expanded. */
const ALIAS_BOMB = definition(
  'alias-bomb',
  '{trait: {name: plan, in: *e}}',
  'x-a: &a [pro, pro, pro, pro, pro, pro, pro, pro, pro]\n' +
    ['b', 'c', 'd', 'e']
      .map((name, i) => `x-${name}: &${name} [${Array(9).fill(`*${'abcd'[i]}`).join(', ')}]\n`)
      .join(''),
);

const ATTACKS = [
  ['a YAML alias bomb', ALIAS_BOMB, /^:\d+: aliases expand too far \(.*\); at most 100 alias expansions are accepted/],
  [
    'rules nested 800 deep',
    definition('deep-800', rule(800)),
    /^:8: collections nest more than 64 deep; flatten the document$/,
  ],
  [
    'rules nested 20 deep (within the YAML limit)',
    definition('deep-20', rule(20)),
    /^:8: rule(\.all\.0){16}: rules nest more than 16 levels deep/,
  ],
  [
    'a negative count',
    definition('negative', '{event: {type: login, within: 30d, count: {gte: -5}}}'),
    /^:8: rule\.event\.count\.gte: a count is never negative: a bound below 0 always holds or never holds \(got -5\)$/,
  ],
  [
    'a negative number of days',
    definition('negative-days', '{event: {type: login, within: 30d, distinct_days: {lt: -1}}}'),
    /^:8: rule\.event\.distinct_days\.lt: a number of days is never negative/,
  ],
  [
    'a negative bound on a measure that counts',
    definition('negative-frequency', '{measure: {name: frequency, gte: -3}}'),
    /^:8: rule\.measure\.gte: frequency is never negative/,
  ],
  [
    'a rule of 300 conditions',
    definition('wide', `{any: [${Array(300).fill('{trait: {name: plan, in: [pro]}}').join(', ')}]}`),
    /^:8: rule: the rule has 301 conditions and combinators; at most 256 are accepted$/,
  ],
  [
    'a 100 KB definition',
    definition('huge', rule(1), `x-padding: "${'x'.repeat(100_000)}"\n`),
    /^: the file is 100\d{3} bytes; at most 65536 are accepted$/,
  ],
] as const;

describe('definitions built to exhaust the parser or the validator', () => {
  it.each(ATTACKS)('refuses %s with a 400 naming the place, and changes nothing', async (_, yaml, problem) => {
    const id = /^id: (\S+)/.exec(yaml)![1]!;
    const before = { files: folder(), versions: await versions() };

    // Problems start with the file: the cohort's own for PUT, the candidate's for validate
    // (named by its id, or "(candidate).yaml" when even the id cannot be read safely).
    const put = await call('PUT', `/cohorts/${id}`, { yaml, rationale: 'an analyst trying to break the parser' });
    expect(put.status).toBe(400);
    expect(put.body).toMatchObject({ error: 'invalid_definition', problems: [expect.any(String)] });
    expect(put.body.problems[0].slice(`${id}.yaml`.length)).toMatch(problem);
    expect(put.body.problems[0].startsWith(`${id}.yaml`)).toBe(true);

    const validate = await call('POST', '/cohorts/validate', { yaml });
    expect(validate.status).toBe(200);
    expect(validate.body).toMatchObject({ valid: false, problems: [expect.any(String)] });
    expect(validate.body.problems[0].replace(/^(\(candidate\)|[a-z0-9-]+)\.yaml/, '')).toMatch(problem);

    expect({ files: folder(), versions: await versions() }).toEqual(before);
  });
});

describe('a chain of 20 cohorts, each referring twice to the one before', () => {
  const link = (n: number) => `chain-${String(n).padStart(2, '0')}`;
  beforeAll(async () => {
    const created = [
      await call('PUT', `/cohorts/${link(0)}`, {
        yaml: definition(link(0), rule(0)),
        rationale: 'the base of the chain',
      }),
    ];
    for (let n = 1; n <= 20; n += 1) {
      const yaml = definition(link(n), `{any: [{in_cohort: ${link(n - 1)}}, {all: [{in_cohort: ${link(n - 1)}}]}]}`);
      created.push(await call('PUT', `/cohorts/${link(n)}`, { yaml, rationale: 'one more link of the chain' }));
    }
    expect(created.map((c) => c.status)).toEqual(Array(21).fill(201));
  });

  it('compiles each cohort once: the SQL grows by the same amount per link, not twofold', async () => {
    const ten = await call('GET', `/cohorts/${link(10)}/explain?asOf=${AS_OF}`);
    const twenty = await call('GET', `/cohorts/${link(20)}/explain?asOf=${AS_OF}`);
    expect([ten.status, twenty.status]).toEqual([200, 200]);
    expect(twenty.body.sql.match(/LATERAL \(SELECT /g)).toHaveLength(20);
    // Inlined, link 20 would be 2^10 times link 10; compiled once per cohort it is about twice.
    expect(twenty.body.sql.length).toBeLessThan(3 * ten.body.sql.length);
    expect(twenty.body.plan.length).toBeLessThan(3 * ten.body.plan.length);
  });

  it('previews and explains membership with the members of the base', async () => {
    const preview = await call('GET', `/cohorts/${link(20)}/preview?asOf=${AS_OF}`);
    expect(preview.body).toMatchObject({ size: 2, sample: ['b1', 'b2'] });

    const why = await call('GET', `/cohorts/${link(20)}/why/b1?asOf=${AS_OF}`);
    expect(why.body).toMatchObject({ member: true, rule: { holds: true } });
    const nodes = (n: { children?: unknown[] }): number =>
      1 + (n.children ?? []).reduce<number>((sum, c) => sum + nodes(c as { children?: unknown[] }), 0);
    // Each cohort explained once, its second reference pointing back to the first: any, in_cohort,
    // all, in_cohort per link, and the base's one condition (inlined, it would be 2^20 of them).
    expect(nodes(why.body.rule)).toBe(20 * 4 + 1);
  });

  it("compiles a run's one statement the same way, each referenced cohort once", () => {
    const defs = new Map<string, CohortDefinition>();
    const ruleOf = (n: number): CohortDefinition['rule'] =>
      n === 0
        ? { trait: { name: 'plan', in: ['pro'] } }
        : { any: [{ in_cohort: link(n - 1) }, { all: [{ in_cohort: link(n - 1) }] }] };
    for (let n = 0; n <= 20; n += 1) defs.set(link(n), { id: link(n), rule: ruleOf(n) } as CohortDefinition);
    const sql = (n: number) =>
      compileRunCohorts([{ column: 'member', definition: defs.get(link(n))! }], defs, new Date(AS_OF), {
        from: 'events',
      }).sql;
    expect(sql(20).match(/LATERAL \(SELECT /g)).toHaveLength(20);
    expect(sql(20).length).toBeLessThan(3 * sql(10).length);
  });
});

describe('a catalog too large to compute', () => {
  it('refuses more than 500 definitions, naming the limit', () => {
    const files = Array.from({ length: 501 }, (_, i) => ({
      name: `c-${i}.yaml`,
      text: definition(`c-${i}`, '{trait: {name: plan, in: [pro]}}'),
    }));
    expect(checkCatalog(files).problems).toEqual([
      'catalog: 501 cohort definitions; at most 500 are accepted in one catalog folder',
    ]);
    expect(checkCatalog(files.slice(0, 500)).problems).toEqual([]);
  });
});
