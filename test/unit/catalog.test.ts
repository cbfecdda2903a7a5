import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidDefinitionError, loadCatalog, parseDefinition } from '../../src/cohorts/catalog';

const EXAMPLES = path.resolve(__dirname, '../../catalog');
/** The product event types the generator writes (src/sources/generate/world.ts). */
const PRODUCT_TYPES = new Set([
  'login',
  'feature_used',
  'report_exported',
  'invite_sent',
  'page_viewed',
  'search',
  'dashboard_shared',
  'signup_started',
  'identify',
]);

const valid = (id = 'paid-logins') => `id: ${id}
name: Paid customers who log in
purpose: A cohort for the catalog specification.
owner: qa
tier: tactical
rule:
  all:
    - trait: { name: lifecycle_stage, in: [paid] }
    - event: { type: login, within: 30d, count: { gte: 3 } }
sources: [crm, product]
limitations: Counts logins only.
`;

/** The same definition with its keys in another order (and flow style for the rule). */
const reordered = `tier: tactical
owner: qa
rule:
  all:
    - trait: { in: [paid], name: lifecycle_stage }
    - event: { count: { gte: 3 }, within: 30d, type: login }
purpose: A cohort for the catalog specification.
limitations: Counts logins only.
sources: [product, crm]
name: Paid customers who log in
id: paid-logins
`;

let dirNo = 0;
async function catalogFolder(files: Record<string, string>): Promise<string> {
  dirNo += 1;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `cohortflow-catalog-${dirNo}-`));
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}

async function problemsOf(dir: string, vocabulary?: { eventTypes: ReadonlySet<string> }): Promise<string[]> {
  try {
    await loadCatalog(dir, vocabulary);
  } catch (err) {
    if (err instanceof InvalidDefinitionError) return err.problems;
    throw err;
  }
  throw new Error('expected the catalog to be rejected');
}

describe('parsing a cohort definition', () => {
  it('accepts a valid definition and fills in the default status and checks', () => {
    const { entry, problems } = parseDefinition('paid.yaml', valid());

    expect(problems).toEqual([]);
    expect(entry?.definition).toMatchObject({
      id: 'paid-logins',
      status: 'active',
      checks: { minSize: 1, sizeShiftWarnPct: 20, sizeShiftFailPct: 50 },
    });
    expect(entry?.file).toBe('paid.yaml');
  });

  it('lists every problem of an invalid definition, not just the first', () => {
    const text = `id: Bad_Id
name: ""
purpose: p
owner: o
tier: galactic
rule:
  trait: { name: plan, in: [pro] }
`;
    const { entry, problems } = parseDefinition('bad.yaml', text);

    expect(entry).toBeUndefined();
    expect(problems).toEqual([
      expect.stringMatching(/^bad\.yaml:1: id: /),
      expect.stringMatching(/^bad\.yaml:2: name: /),
      expect.stringMatching(/^bad\.yaml:5: tier: .*strategic.*tactical/),
      expect.stringMatching(/^bad\.yaml: sources: /),
      expect.stringMatching(/^bad\.yaml: limitations: /),
    ]);
  });

  it('rejects a key the schema does not know, naming the key', () => {
    const { problems } = parseDefinition('extra.yaml', `${valid()}colour: blue\n`);

    expect(problems).toEqual([expect.stringMatching(/^extra\.yaml.*colour/)]);
  });

  it('reports a YAML syntax error with the file name and line', () => {
    const { entry, problems } = parseDefinition('broken.yaml', 'id: [unclosed\nname: x\n');

    expect(entry).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(/^broken\.yaml:\d+: /)]);
  });

  it('rejects a trait condition that gives two of in, notIn and within', () => {
    const text = valid().replace('in: [paid] }', 'in: [paid], notIn: [churned] }');

    expect(parseDefinition('two.yaml', text).problems).not.toEqual([]);
  });

  it('names the file, line and path of a bad event window', () => {
    const { entry, problems } = parseDefinition('window.yaml', valid().replace('within: 30d', 'within: 30x'));

    expect(entry).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(/^window\.yaml:9: rule\.all\.1\.event\.within: /)]);
  });

  it('names the offending value of a bad event window', () => {
    const { problems } = parseDefinition('window.yaml', valid().replace('within: 30d', 'within: 30x'));

    expect(problems).toEqual([expect.stringMatching(/within: .*30x/)]);
  });

  it('names the file, line, path and value of an unknown trait name', () => {
    const { problems } = parseDefinition(
      'trait.yaml',
      valid().replace('name: lifecycle_stage', 'name: favourite_food'),
    );

    expect(problems).toEqual([expect.stringMatching(/^trait\.yaml:8: rule\.all\.0\.trait\.name: .*favourite_food/)]);
  });

  it('lists a bad window and an unknown trait name in the same rule as two problems', () => {
    const text = valid().replace('within: 30d', 'within: 30x').replace('name: lifecycle_stage', 'name: favourite_food');

    expect(parseDefinition('both.yaml', text).problems).toEqual([
      expect.stringMatching(/trait\.name/),
      expect.stringMatching(/event\.within/),
    ]);
  });

  it('rejects an unknown trait name, at least pointing at the rule', () => {
    const { entry, problems } = parseDefinition(
      'trait.yaml',
      valid().replace('name: lifecycle_stage', 'name: favourite_food'),
    );

    expect(entry).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(/^trait\.yaml:\d+: rule/)]);
  });
});

describe('the content hash of a definition', () => {
  const hashOf = (text: string) => parseDefinition('x.yaml', text).entry!.contentHash;

  it('stays the same when the keys are reordered', () => {
    expect(hashOf(reordered)).toBe(hashOf(valid()));
  });

  it('stays the same when a default is written out', () => {
    expect(hashOf(`${valid()}status: active\n`)).toBe(hashOf(valid()));
  });

  it('changes when the rule changes', () => {
    expect(hashOf(valid().replace('gte: 3', 'gte: 4'))).not.toBe(hashOf(valid()));
  });

  it('changes when the checks change', () => {
    expect(hashOf(`${valid()}checks: { minSize: 10 }\n`)).not.toBe(hashOf(valid()));
  });
});

describe('loading the catalog folder', () => {
  it('loads the default catalog shipped in catalog/, every cohort documented', async () => {
    const entries = await loadCatalog(EXAMPLES, { eventTypes: PRODUCT_TYPES });

    expect(entries.length).toBeGreaterThanOrEqual(12);
    for (const { definition } of entries)
      expect(definition).toMatchObject({
        purpose: expect.any(String),
        limitations: expect.any(String),
        sources: expect.any(Array),
      });
  });

  it('reads both .yaml and .yml files and ignores others', async () => {
    const dir = await catalogFolder({
      'a.yaml': valid('cohort-a'),
      'b.yml': valid('cohort-b'),
      'README.md': '# not a cohort',
      'c.json': '{}',
    });

    expect((await loadCatalog(dir)).map((e) => e.definition.id)).toEqual(['cohort-a', 'cohort-b']);
  });

  it('rejects the whole catalog when one id is defined in two files, naming both files', async () => {
    const dir = await catalogFolder({ 'first.yaml': valid('same-id'), 'second.yaml': valid('same-id') });

    const problems = await problemsOf(dir);

    expect(problems).toEqual([
      expect.stringMatching(/second\.yaml:1: id: "same-id" is already defined in .*first\.yaml/),
    ]);
  });

  it('rejects the whole catalog when any file is invalid, listing the problems of every file', async () => {
    const dir = await catalogFolder({
      'good.yaml': valid('good-one'),
      'bad-1.yaml': valid('bad-one').replace('tier: tactical', 'tier: x'),
      'bad-2.yaml': `${valid('bad-two')}colour: blue\n`,
    });

    const problems = await problemsOf(dir);

    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/bad-1\.yaml:\d+: tier/);
    expect(problems[1]).toMatch(/bad-2\.yaml.*colour/);
  });
});

describe('checking the catalog as a whole', () => {
  const referring = (id: string, target: string, tier = 'tactical') => `id: ${id}
name: ${id}
purpose: Refers to ${target}.
owner: qa
tier: ${tier}
sources: [crm]
limitations: none
rule:
  all:
    - in_cohort: ${target}
    - trait: { name: plan, in: [pro] }
`;

  it('refuses a reference to a cohort that does not exist, suggesting the closest id', async () => {
    const dir = await catalogFolder({
      'paid.yaml': valid('paid-logins'),
      'ref.yaml': referring('refers', 'paid-login'),
    });

    expect(await problemsOf(dir)).toEqual([
      expect.stringMatching(
        /ref\.yaml:\d+: rule\.all\.0\.in_cohort: no cohort "paid-login" in the catalog \(did you mean paid-logins\?\)/,
      ),
    ]);
  });

  it("lists a file's schema problems and its reference and event-type problems together, not one kind at a time", async () => {
    const dir = await catalogFolder({
      'paid.yaml': valid('paid-logins'),
      'ref.yaml': referring('refers', 'paid-login')
        .replace('tier: tactical', 'tier: tacticle')
        .replace(
          '    - trait: { name: plan, in: [pro] }',
          '    - event: { type: logn, within: 30d, count: { gte: 1 } }',
        ),
    });

    expect(await problemsOf(dir, { eventTypes: PRODUCT_TYPES })).toEqual([
      expect.stringMatching(/ref\.yaml:5: tier: Invalid option/),
      expect.stringMatching(/ref\.yaml:\d+: rule\.all\.0\.in_cohort: no cohort "paid-login" in the catalog/),
      expect.stringMatching(
        /ref\.yaml:\d+: rule\.all\.1\.event\.type: unknown event type "logn" \(did you mean login\?\)/,
      ),
      expect.stringMatching(/ref\.yaml:\d+: sources: the rule reads product data \(event logn\) but sources lists crm/),
    ]);
  });

  it('detects a cycle of references and names every cohort on it', async () => {
    const dir = await catalogFolder({
      'a.yaml': referring('cohort-a', 'cohort-b'),
      'b.yaml': referring('cohort-b', 'cohort-c'),
      'c.yaml': referring('cohort-c', 'cohort-a'),
    });

    expect(await problemsOf(dir)).toEqual([
      expect.stringMatching(
        /a\.yaml:\d+: rule: cohorts refer to each other in a cycle: cohort-a → cohort-b → cohort-c → cohort-a/,
      ),
    ]);
  });

  it('detects a cohort that refers to itself', async () => {
    const dir = await catalogFolder({ 'self.yaml': referring('selfish', 'selfish') });

    expect(await problemsOf(dir)).toEqual([expect.stringMatching(/cycle: selfish → selfish/)]);
  });

  it('refuses an unknown event type, suggesting a known one', async () => {
    const dir = await catalogFolder({ 'typo.yaml': valid('typo').replace('type: login', 'type: logn') });
    const problems = await problemsOf(dir, { eventTypes: PRODUCT_TYPES });

    expect(problems).toEqual([
      expect.stringMatching(
        /typo\.yaml:9: rule\.all\.1\.event\.type: unknown event type "logn" \(did you mean login\?\); known types: .*feature_used/,
      ),
    ]);
  });

  it('refuses a rule that reads a source its definition does not list', async () => {
    const dir = await catalogFolder({ 'pay.yaml': valid('pay').replace('type: login', 'type: payment_failed') });

    expect(await problemsOf(dir)).toEqual([
      expect.stringMatching(
        /pay\.yaml:\d+: sources: the rule reads billing data \(event payment_failed\) but sources lists crm, product; add billing/,
      ),
    ]);
  });

  it('refuses an active cohort that builds on a deprecated one', async () => {
    const deprecated = `${valid('old-one')}status: deprecated\n`;
    const dir = await catalogFolder({ 'old.yaml': deprecated, 'new.yaml': referring('new-one', 'old-one') });

    expect(await problemsOf(dir)).toEqual([
      expect.stringMatching(/new\.yaml:\d+: rule\.all\.0\.in_cohort: "old-one" is deprecated/),
    ]);
  });

  it('refuses to deprecate a strategic cohort without a reason', () => {
    const text = `${valid('strat')}status: deprecated\n`.replace('tier: tactical', 'tier: strategic');

    expect(parseDefinition('strat.yaml', text).problems).toEqual([
      expect.stringMatching(/strat\.yaml: deprecationReason: a strategic cohort is deprecated only with a reason/),
    ]);
    expect(
      parseDefinition('strat.yaml', `${text}deprecationReason: Replaced by the paid-active cohort in Q3.\n`).problems,
    ).toEqual([]);
  });
});
