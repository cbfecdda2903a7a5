import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InvalidDefinitionError, loadCatalog, parseDefinition } from '../../src/cohorts/catalog';

const EXAMPLES = path.resolve(__dirname, '../../examples/cohorts');

const valid = (id = 'paid-logins') => `id: ${id}
name: Paid customers who log in
purpose: A cohort for the catalog specification.
owner: qa
tier: tactical
rule:
  all:
    - trait: { name: lifecycle_stage, in: [paid] }
    - event: { type: login, within: 30d, count: { gte: 3 } }
`;

/** The same definition with its keys in another order (and flow style for the rule). */
const reordered = `tier: tactical
owner: qa
rule:
  all:
    - trait: { in: [paid], name: lifecycle_stage }
    - event: { count: { gte: 3 }, within: 30d, type: login }
purpose: A cohort for the catalog specification.
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

async function problemsOf(dir: string): Promise<string[]> {
  try {
    await loadCatalog(dir);
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
    expect(entry?.definition).toMatchObject({ id: 'paid-logins', status: 'active', checks: { minSize: 1, sizeShiftWarnPct: 20, sizeShiftFailPct: 50 } });
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
    ]);
  });

  it('rejects a key the schema does not know, naming the key', () => {
    const { problems } = parseDefinition('extra.yaml', `${valid()}colour: blue\n`);

    expect(problems).toEqual([expect.stringMatching(/^extra\.yaml.*colour/)]);
  });

  it('reports a YAML syntax error with the file name', () => {
    const { entry, problems } = parseDefinition('broken.yaml', 'id: [unclosed\nname: x\n');

    expect(entry).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(/^broken\.yaml: /)]);
  });

  it('rejects a trait condition that gives two of in, notIn and withinDays', () => {
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
    const { problems } = parseDefinition('trait.yaml', valid().replace('name: lifecycle_stage', 'name: favourite_food'));

    expect(problems).toEqual([expect.stringMatching(/^trait\.yaml:8: rule\.all\.0\.trait\.name: .*favourite_food/)]);
  });

  it('lists a bad window and an unknown trait name in the same rule as two problems', () => {
    const text = valid().replace('within: 30d', 'within: 30x').replace('name: lifecycle_stage', 'name: favourite_food');

    expect(parseDefinition('both.yaml', text).problems).toEqual([expect.stringMatching(/trait\.name/), expect.stringMatching(/event\.within/)]);
  });

  it('rejects an unknown trait name, at least pointing at the rule', () => {
    const { entry, problems } = parseDefinition('trait.yaml', valid().replace('name: lifecycle_stage', 'name: favourite_food'));

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
  it('loads the example catalog shipped in examples/cohorts', async () => {
    const entries = await loadCatalog(EXAMPLES);

    expect(entries.map((e) => e.definition.id).sort()).toEqual(['at-risk-paid', 'enterprise-accounts', 'failed-payment-risk', 'power-users', 'trial-about-to-convert']);
  });

  it('reads both .yaml and .yml files and ignores others', async () => {
    const dir = await catalogFolder({ 'a.yaml': valid('cohort-a'), 'b.yml': valid('cohort-b'), 'README.md': '# not a cohort', 'c.json': '{}' });

    expect((await loadCatalog(dir)).map((e) => e.definition.id)).toEqual(['cohort-a', 'cohort-b']);
  });

  it('rejects the whole catalog when one id is defined in two files, naming both files', async () => {
    const dir = await catalogFolder({ 'first.yaml': valid('same-id'), 'second.yaml': valid('same-id') });

    const problems = await problemsOf(dir);

    expect(problems).toEqual([expect.stringMatching(/second\.yaml: id: "same-id" is already defined in .*first\.yaml/)]);
  });

  it('rejects the whole catalog when any file is invalid, listing the problems of every file', async () => {
    const dir = await catalogFolder({ 'good.yaml': valid('good-one'), 'bad-1.yaml': valid('bad-one').replace('tier: tactical', 'tier: x'), 'bad-2.yaml': `${valid('bad-two')}colour: blue\n` });

    const problems = await problemsOf(dir);

    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/bad-1\.yaml:\d+: tier/);
    expect(problems[1]).toMatch(/bad-2\.yaml.*colour/);
  });
});
