import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/activities/deps';
import { deliverCohort } from '../../src/activities/publish';
import type { Destination } from '../../src/destinations/destination';
import { createLogger } from '../../src/log';
import { eraseCustomer } from '../../src/privacy/erasure-removes';
import { addCustomer } from '../support/cohort-data';
import { testErasureKey } from '../support/erasure-key';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const log = createLogger('silent');
const erasureKey = testErasureKey();
let test: TestDatabase;
let folder: string;
let receiver: Awaited<ReturnType<typeof startDeliveryReceiver>>;
let destinations: Destination[];

async function publishAndDeliver(runId: string, version: number, members: string[]): Promise<void> {
  await registerRun(test.db, runId, '2026-06-01T00:00:00Z');
  await publish(
    test.db,
    await storeSnapshot(test.db, {
      runId,
      cohortId: 'payers',
      version,
      asOf: '2026-06-01T00:00:00Z',
      customerIds: members,
    }),
  );
  const deps: ActivityDeps = { db: test.db, log, sourceDir: '', catalogDir: '', destinations };
  await new MockActivityEnvironment().run(deliverCohort, deps, { runId, cohortId: 'payers' });
}

const exported = async () => {
  const out: string[] = [];
  for (const version of await fs.readdir(path.join(folder, 'payers'))) {
    for (const file of ['full.csv', 'diff.csv', 'full.ndjson', 'diff.ndjson'])
      out.push(await fs.readFile(path.join(folder, 'payers', version, file), 'utf8'));
  }
  return out.join('\n');
};

beforeAll(async () => {
  test = await freshDatabase('erasure_delivery');
  folder = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-erasure-exports-'));
  receiver = await startDeliveryReceiver(SECRET);
  destinations = [
    {
      kind: 'webhook',
      name: 'crm',
      purpose: 'product',
      fields: ['customer_id'],
      allowRawEmail: false,
      url: receiver.url,
      secretsEnv: ['S'],
      secrets: [SECRET],
      maxBatchBytes: 256 * 1024,
      timeoutMs: 2_000,
      allowPrivateNetwork: true,
    },
    {
      kind: 'file',
      name: 'lake',
      purpose: 'product',
      fields: ['customer_id', 'plan'],
      allowRawEmail: false,
      folder,
      formats: ['csv', 'ndjson'],
    },
    { kind: 'sql', name: 'warehouse', purpose: 'product', fields: ['customer_id'], allowRawEmail: false },
  ];
  for (const id of customerIds('c', 1, 6)) await addCustomer(test.db, id, { plan: 'pro' });
  await recordVersion(test.db, 'payers', 1, { destinations: ['crm', 'lake', 'warehouse'] }, { author: 'dana' });
  await publishAndDeliver('run-1', 1, customerIds('c', 1, 4));
  await publishAndDeliver('run-2', 1, customerIds('c', 2, 6));
});

afterAll(async () => {
  await receiver.close();
  await fs.rm(folder, { recursive: true, force: true });
  await test.drop();
});

describe('erasing a customer the destinations hold', () => {
  it('sends the webhook a signed remove, rewrites the exports without them and drops their SQL rows', async () => {
    expect(await exported()).toContain('c002');
    expect(receiver.removes()).toEqual(['c001']); // v2: c001 left the cohort
    const report = await eraseCustomer(
      { db: test.db, log, destinations, erasureKey },
      { customerId: 'c002', requestedBy: 'priya', reason: 'request #9' },
    );
    expect(report.removals).toEqual([
      { cohortId: 'payers', destination: 'crm', delivered: true },
      { cohortId: 'payers', destination: 'lake', delivered: true },
      { cohortId: 'payers', destination: 'warehouse', delivered: true },
    ]);
    expect(receiver.removes()).toEqual(['c001', 'c002']);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    expect(await exported()).not.toMatch(/c002\b/);
    const manifest = JSON.parse(await fs.readFile(path.join(folder, 'payers', 'v2', 'manifest.json'), 'utf8')) as {
      files: Record<string, { rows: number }>;
    };
    expect(manifest.files['full.csv']!.rows).toBe(4); // c003 … c006
    const table = await test.db.query<{ customer_id: string }>(
      "SELECT customer_id FROM published_cohort_members WHERE cohort_id = 'payers' ORDER BY 1",
    );
    expect(table.rows.map((r) => r.customer_id)).toEqual(customerIds('c', 3, 6));
  });

  it('keeps the recorded deliveries consistent with what remains', async () => {
    const counts = await test.db.query<{ adds: number; items: string }>(
      `SELECT d.adds, (SELECT count(*) FROM delivery_items i WHERE i.delivery_id = d.delivery_id AND i.kind = 'add') AS items
       FROM destination_deliveries d WHERE d.destination = 'crm' ORDER BY d.version`,
    );
    expect(counts.rows.map((r) => [r.adds, Number(r.items)])).toEqual([
      [3, 3],
      [2, 2],
    ]); // c001,c003,c004 then c005,c006
  });

  it('sends nothing again when the erasure is repeated', async () => {
    const again = await eraseCustomer(
      { db: test.db, log, destinations, erasureKey },
      { customerId: 'c002', requestedBy: 'priya', reason: 'duplicate' },
    );
    expect(again.alreadyErased).toBe(true);
    expect(receiver.removes()).toEqual(['c001', 'c002']);
  });
});
