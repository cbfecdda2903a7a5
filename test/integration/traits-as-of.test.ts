import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { computeSnapshot, materialiseMeasures, planRun } from '../../src/cohorts/run-compute';
import { ingestSources } from '../../src/ingest/ingest-sources';
import { createLogger } from '../../src/log';
import { freshDatabase, type TestDatabase } from '../support/db';

// docs/cohorts.md: traits as of asOf are, field by field, the newest non-empty value among the
// CRM records known then; and the same definition, asOf and data give the same snapshot, whatever
// was ingested afterwards for other customers.

const log = createLogger('silent');
const lines = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
const COHORT = `id: paid-enterprise
name: Paid enterprise
purpose: Specification cohort.
owner: qa
tier: tactical
sources: [crm]
limitations: none known
rule:
  all:
    - trait: { name: plan, in: [enterprise] }
    - trait: { name: lifecycle_stage, in: [paid] }
    - trait: { name: country, in: [FR] }
`;

let test: TestDatabase;
let dir: string;
let catalogDir: string;
let runs = 0;

async function ingestFile(name: string, rows: unknown[]): Promise<void> {
  await fs.writeFile(path.join(dir, name), lines(rows));
  await ingestSources({ db: test.db, log }, { runId: `ingest-${name}`, sourceDir: dir });
}

async function snapshotAt(asOf: Date): Promise<{ members: string[]; contentHash: string }> {
  runs += 1;
  const runId = `run-${runs}`;
  await test.db.query(
    "INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ($1, 'adhoc', 'all', 'rita', 'spec')",
    [runId],
  );
  const [planned] = await planRun(test.db, catalogDir, { runId, tier: 'all', author: 'rita', rationale: 'spec' });
  await materialiseMeasures(test.db, { runId, asOf: asOf.toISOString() });
  const s = await computeSnapshot(test.db, {
    runId,
    cohortId: planned!.cohortId,
    definitionVersion: planned!.definitionVersion,
    asOf: asOf.toISOString(),
  });
  const members = await test.db.query<{ customer_id: string }>(
    'SELECT customer_id FROM snapshot_members WHERE snapshot_id = $1 ORDER BY customer_id',
    [s.snapshotId],
  );
  return { members: members.rows.map((r) => r.customer_id), contentHash: s.contentHash };
}

beforeAll(async () => {
  test = await freshDatabase('traits_as_of');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-traits-'));
  catalogDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-traits-catalog-'));
  await fs.writeFile(path.join(catalogDir, 'paid-enterprise.yaml'), COHORT);
});

afterAll(async () => {
  await test.drop();
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(catalogDir, { recursive: true, force: true });
});

describe('traits as of asOf', () => {
  it('merges a full record and a newer partial one of the same file field by field, the same way before and after other customers change', async () => {
    await ingestFile('crm-0001.ndjson', [
      { crm_id: 'c1', plan: 'enterprise', lifecycle_stage: 'paid', country: 'DE', updated_at: '2026-10-01T00:00:00Z' },
      { crm_id: 'c1', country: 'FR', updated_at: '2026-10-02T00:00:00Z' },
      { crm_id: 'c2', plan: 'pro', lifecycle_stage: 'paid', country: 'FR', updated_at: '2026-10-01T00:00:00Z' },
    ]);
    const asOf = new Date(Date.now() + 1);
    const before = await snapshotAt(asOf);
    expect(before.members).toEqual(['c1']);

    // Another customer's record arrives after asOf: nothing about asOf changes.
    await ingestFile('crm-0002.ndjson', [{ crm_id: 'c2', plan: 'enterprise', updated_at: new Date().toISOString() }]);
    expect(await snapshotAt(asOf)).toEqual(before);
    expect((await snapshotAt(new Date(Date.now() + 1))).members).toEqual(['c1', 'c2']);
  });
});
