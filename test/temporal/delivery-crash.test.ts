import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { addCustomer } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { deliveryWorker } from '../support/delivery-worker';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';
import { devServerEnv } from '../support/temporal';

const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const MEMBERS = customerIds('c', 1, 30);
let env: TestWorkflowEnvironment;
let test: TestDatabase;

beforeAll(async () => {
  env = await devServerEnv();
  test = await freshDatabase('delivery_crash');
  for (const id of MEMBERS) await addCustomer(test.db, id);
  await recordVersion(test.db, 'payers', 1, { destinations: ['crm'] }, { author: 'dana' });
  await registerRun(test.db, 'run-crash', '2026-06-01T00:00:00Z');
  await publish(
    test.db,
    await storeSnapshot(test.db, {
      runId: 'run-crash',
      cohortId: 'payers',
      version: 1,
      asOf: '2026-06-01T00:00:00Z',
      customerIds: MEMBERS,
    }),
  );
});

afterAll(async () => {
  await test?.drop();
  await env?.teardown();
});

/** Starts the worker as a child process and resolves once it polls. */
function spawnWorker(args: string[]): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, '../support/delivery-worker.ts'), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });
}

describe('a worker killed in the middle of a delivery', () => {
  it('lets a second worker finish it: acknowledged batches are not sent again, every customer arrives once', async () => {
    let hungOnce = false;
    let midDelivery!: () => void;
    const reachedBatch3 = new Promise<void>((resolve) => (midDelivery = resolve));
    // The first time batch 3 arrives the receiver never answers: the worker is killed while waiting.
    const receiver = await startDeliveryReceiver(SECRET, (_n, body) => {
      if (body.batch === 3 && !hungOnce) {
        hungOnce = true;
        midDelivery();
        return 'hang';
      }
      return { status: 204 };
    });
    const taskQueue = `delivery-crash-${crypto.randomBytes(4).toString('hex')}`;
    const address = env.connection.options.address;
    const first = await spawnWorker([address, taskQueue, test.url, receiver.url, SECRET]);
    try {
      const run = await env.client.workflow.start('deliverPublished', {
        taskQueue,
        workflowId: `delivery-crash-${taskQueue}`,
        args: [{ runId: 'run-crash', cohortId: 'payers' }],
      });
      await reachedBatch3;
      first.kill('SIGKILL');

      const second = await deliveryWorker({
        address,
        taskQueue,
        databaseUrl: test.url,
        receiverUrl: receiver.url,
        secret: SECRET,
      });
      await second.worker.runUntil(run.result());
      await second.close();

      const sent = (batch: number) => receiver.requests.filter((r) => r.batch === batch);
      const batches = Math.max(...receiver.requests.map((r) => r.batch));
      expect(batches).toBeGreaterThan(4);
      expect(sent(1)).toHaveLength(1);
      expect(sent(2)).toHaveLength(1);
      // Batch 3 was never acknowledged: re-sent once, under the same webhook-id.
      expect(sent(3)).toHaveLength(2);
      expect(new Set(sent(3).map((r) => r.id)).size).toBe(1);
      for (let b = 4; b <= batches; b++) expect(sent(b)).toHaveLength(1);
      expect(receiver.adds().sort()).toEqual(MEMBERS);
      const state = await test.db.query<{ status: string; n: number }>(
        "SELECT status, count(*)::int AS n FROM delivery_batches WHERE cohort_id = 'payers' GROUP BY status",
      );
      expect(state.rows).toEqual([{ status: 'acknowledged', n: batches }]);
    } finally {
      first.kill('SIGKILL');
      await receiver.close();
    }
  });
});
