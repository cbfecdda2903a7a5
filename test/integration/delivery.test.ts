import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { deliverCohort } from '../../src/activities/publish';
import type { ActivityDeps } from '../../src/activities/deps';
import type { Destination } from '../../src/destinations/destination';
import { assertSafeUrl } from '../../src/destinations/network-guard';
import { createLogger } from '../../src/log';
import { addCustomer } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

const secret = () => `whsec_${crypto.randomBytes(24).toString('base64')}`;
const OLD = secret();
const NEW = secret();
let test: TestDatabase;
let runs = 0;

const webhook = (
  name: string,
  url: string,
  extra: Partial<Extract<Destination, { kind: 'webhook' }>> = {},
): Destination => ({
  kind: 'webhook',
  name,
  purpose: 'product',
  fields: ['customer_id'],
  allowRawEmail: false,
  url,
  secretsEnv: ['S'],
  secrets: [OLD],
  maxBatchBytes: 256 * 1024,
  timeoutMs: 2_000,
  allowPrivateNetwork: true,
  ...extra,
});

const deliver = (destinations: Destination[], runId: string, cohortId: string) => {
  const deps: ActivityDeps = { db: test.db, log: createLogger('silent'), sourceDir: '', catalogDir: '', destinations };
  return new MockActivityEnvironment().run(deliverCohort, deps, { runId, cohortId });
};

/** Publishes the next version of a new or existing cohort holding exactly these customers. */
async function publishVersion(cohortId: string, members: string[], destinations: string[] = []): Promise<string> {
  const runId = `run-${++runs}`;
  await registerRun(test.db, runId, '2026-06-01T00:00:00Z');
  await recordVersion(test.db, cohortId, runs, { destinations }, { author: 'dana' }).catch(() => undefined);
  await publish(
    test.db,
    await storeSnapshot(test.db, {
      runId,
      cohortId,
      version: runs,
      asOf: '2026-06-01T00:00:00Z',
      customerIds: members,
    }),
  );
  return runId;
}

beforeAll(async () => {
  test = await freshDatabase('delivery');
  for (const id of customerIds('c', 1, 40)) {
    await addCustomer(test.db, id, { plan: 'pro', country: 'DE', consent_marketing: id !== 'c003' });
    await test.db.query('UPDATE customers SET email = $2 WHERE customer_id = $1', [
      id,
      `  ${id.toUpperCase()}@Example.com `,
    ]);
  }
});
afterAll(() => test.drop());

describe('delivering a published version to webhooks', () => {
  it('sends a full load first, signed with every current secret, so a receiver on the old secret verifies', async () => {
    const receiver = await startDeliveryReceiver(OLD);
    const runId = await publishVersion('first-load', customerIds('c', 1, 5));
    const [result] = (await deliver(
      [webhook('crm', receiver.url, { secrets: [NEW, OLD] })],
      runId,
      'first-load',
    )) as Array<Record<string, unknown>>;
    expect(result).toMatchObject({ destination: 'crm', adds: 5, removes: 0, delivered: true });
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    expect(receiver.adds().sort()).toEqual(customerIds('c', 1, 5));
    await receiver.close();
  });

  it('sends only allowed fields, email as sha256 of the trimmed lower-cased address', async () => {
    const receiver = await startDeliveryReceiver(OLD);
    const runId = await publishVersion('minimised', ['c001']);
    await deliver([webhook('ads', receiver.url, { fields: ['customer_id', 'email_sha256'] })], runId, 'minimised');
    const expected = crypto.createHash('sha256').update('c001@example.com').digest('hex');
    expect([...receiver.accepted.values()][0]!.adds).toEqual([{ customer_id: 'c001', email_sha256: expected }]);
    await receiver.close();
  });

  it('holds back customers without marketing consent from a marketing destination but not a product one, and still sends removes', async () => {
    const marketing = await startDeliveryReceiver(OLD);
    const product = await startDeliveryReceiver(OLD);
    const destinations = [webhook('mail', marketing.url, { purpose: 'marketing' }), webhook('app', product.url)];
    await deliver(destinations, await publishVersion('consent', ['c001', 'c002', 'c003', 'c004']), 'consent');
    expect(marketing.adds().sort()).toEqual(['c001', 'c002', 'c004']);
    expect(product.adds().sort()).toEqual(['c001', 'c002', 'c003', 'c004']);
    // c004 withdraws between compute and publish; c002 leaves the cohort.
    await test.db.query(
      "INSERT INTO suppression_list (customer_id, purpose, reason) VALUES ('c004', 'marketing', 'unsubscribed')",
    );
    await deliver(destinations, await publishVersion('consent', ['c001', 'c003', 'c004', 'c005']), 'consent');
    expect(marketing.adds().sort()).toEqual(['c001', 'c002', 'c004', 'c005']);
    expect(marketing.removes().sort()).toEqual(['c002', 'c004']);
    expect(product.removes()).toEqual(['c002']);
    const suppressed = await test.db.query(
      "SELECT suppressed FROM destination_deliveries WHERE destination = 'mail' AND cohort_id = 'consent' ORDER BY version",
    );
    expect(suppressed.rows.map((r) => r.suppressed)).toEqual([1, 2]);
    await Promise.all([marketing.close(), product.close()]);
  });

  it('checks consent again when a failed batch is retried: a customer who withdrew meanwhile is not sent, nor later removed', async () => {
    const receiver = await startDeliveryReceiver(OLD, (n) => (n === 1 ? { status: 503 } : { status: 204 }));
    const destinations = [webhook('mail-retry', receiver.url, { purpose: 'marketing' })];
    const runId = await publishVersion('consent-retry', ['c010', 'c011', 'c012']);
    await expect(deliver(destinations, runId, 'consent-retry')).rejects.toThrow(/answered 503/);
    // Planned with c011's consent; c011 unsubscribes before the retry.
    await test.db.query(
      "INSERT INTO suppression_list (customer_id, purpose, reason) VALUES ('c011', 'marketing', 'unsubscribed')",
    );
    await deliver(destinations, runId, 'consent-retry');
    expect(receiver.adds().sort()).toEqual(['c010', 'c012']);
    await deliver(destinations, await publishVersion('consent-retry', ['c010']), 'consent-retry');
    expect(receiver.removes()).toEqual(['c012']); // never c011: the destination never held them
    await receiver.close();
  });

  it('catches up a destination that missed a version with the difference from what it acknowledged', async () => {
    const early = await startDeliveryReceiver(OLD);
    await deliver([webhook('late', early.url)], await publishVersion('catch-up', ['c001', 'c002']), 'catch-up');
    await publishVersion('catch-up', ['c002', 'c003']); // never delivered to 'late'
    await deliver([webhook('late', early.url)], await publishVersion('catch-up', ['c003', 'c004']), 'catch-up');
    const last = [...early.accepted.values()].at(-1)!;
    expect({ adds: last.adds.map((a) => a.customer_id), removes: last.removes.map((r) => r.customer_id) }).toEqual({
      adds: ['c003', 'c004'],
      removes: ['c001', 'c002'],
    });
    await early.close();
  });

  it('sends nothing for a version with the same members, and acknowledges it so the next change is a diff from it', async () => {
    const receiver = await startDeliveryReceiver(OLD);
    const destinations = [webhook('steady', receiver.url)];
    await deliver(destinations, await publishVersion('steady', ['c001', 'c002']), 'steady');
    expect(receiver.accepted.size).toBe(1);

    const unchanged = await publishVersion('steady', ['c001', 'c002']);
    expect(await deliver(destinations, unchanged, 'steady')).toEqual([
      { cohortId: 'steady', destination: 'steady', adds: 0, removes: 0, delivered: true, alreadyDelivered: false },
    ]);
    expect(receiver.accepted.size).toBe(1);
    const cursor = await test.db.query(
      `SELECT c.version, d.batches, d.status FROM destination_cursors c JOIN destination_deliveries d USING (delivery_id)
       WHERE c.destination = 'steady' AND c.cohort_id = 'steady'`,
    );
    expect(cursor.rows).toEqual([{ version: 2, batches: 0, status: 'acknowledged' }]);

    await deliver(destinations, await publishVersion('steady', ['c002', 'c003']), 'steady');
    const last = [...receiver.accepted.values()].at(-1)!;
    expect({ adds: last.adds.map((a) => a.customer_id), removes: last.removes.map((r) => r.customer_id) }).toEqual({
      adds: ['c003'],
      removes: ['c001'],
    });
    await receiver.close();
  });

  it('survives 503s: after the receiver recovers, every batch and customer arrives exactly once', async () => {
    const receiver = await startDeliveryReceiver(OLD, (n) => (n <= 3 ? { status: 503 } : { status: 204 }));
    const runId = await publishVersion('flaky', customerIds('c', 1, 40));
    const small = webhook('flaky', receiver.url, { maxBatchBytes: 1024 + 200 }); // ~10 customers a batch
    for (let attempt = 1; ; attempt += 1) {
      try {
        await deliver([small], runId, 'flaky');
        break;
      } catch (err) {
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect((err as ApplicationFailure).nonRetryable).toBe(false);
        if (attempt > 5) throw err;
      }
    }
    const ids = receiver.requests.filter((r) => r.verified).map((r) => r.id);
    expect(new Set(receiver.adds()).size).toBe(40);
    expect(receiver.adds()).toHaveLength(40);
    expect(receiver.accepted.size).toBeGreaterThan(1);
    expect(ids.length - receiver.accepted.size).toBe(3); // only the three refused requests were repeated
    await receiver.close();
  });

  it('resumes an interrupted delivery at the batch after the last acknowledged one', async () => {
    const receiver = await startDeliveryReceiver(OLD, (_, body) =>
      body.batch === 3 && receiver.requests.filter((r) => r.batch === 3).length === 1
        ? { status: 500 }
        : { status: 204 },
    );
    const runId = await publishVersion('resumed', customerIds('c', 1, 40));
    const small = webhook('resumable', receiver.url, { maxBatchBytes: 1024 + 200 });
    await expect(deliver([small], runId, 'resumed')).rejects.toThrow(/answered 500/);
    await deliver([small], runId, 'resumed');
    const batches = receiver.requests.map((r) => r.batch);
    expect(batches.slice(0, 3)).toEqual([1, 2, 3]);
    expect(batches.filter((b) => b === 1 || b === 2)).toEqual([1, 2]);
    expect(batches.filter((b) => b === 3)).toEqual([3, 3]);
    expect(receiver.adds()).toHaveLength(40);
    await receiver.close();
  });

  it('re-sends a batch whose answer was lost under the same webhook-id, which the receiver drops as a duplicate', async () => {
    // The receiver stores the first request but never answers it, as when a response is lost.
    const receiver = await startDeliveryReceiver(OLD, (n) => (n === 1 ? { status: 204, hang: true } : { status: 204 }));
    const runId = await publishVersion('lost-answer', ['c001', 'c002']);
    const lossy = webhook('lossy', receiver.url, { timeoutMs: 300 });
    await expect(deliver([lossy], runId, 'lost-answer')).rejects.toThrow(/no answer within 300 ms/);
    await deliver([lossy], runId, 'lost-answer');
    expect(receiver.requests.map((r) => r.id)).toEqual([receiver.requests[0]!.id, receiver.requests[0]!.id]);
    expect(receiver.accepted.size).toBe(1);
    expect(receiver.adds().sort()).toEqual(['c001', 'c002']);
    await receiver.close();
  });

  it('cuts batches that share no customer, so a receiver may apply them in any order', async () => {
    const receiver = await startDeliveryReceiver(OLD);
    const small = webhook('ordered', receiver.url, { maxBatchBytes: 1024 + 200 });
    await deliver([small], await publishVersion('any-order', customerIds('c', 1, 30)), 'any-order');
    await deliver([small], await publishVersion('any-order', customerIds('c', 11, 40)), 'any-order');
    const second = [...receiver.accepted.values()].filter((b) => b.version === 2);
    expect(second.length).toBeGreaterThan(1);
    const touched = second.flatMap((b) => [
      ...b.adds.map((a) => String(a.customer_id)),
      ...b.removes.map((r) => r.customer_id),
    ]);
    expect(new Set(touched).size).toBe(touched.length);
    expect(touched.sort()).toEqual([...customerIds('c', 1, 10), ...customerIds('c', 31, 40)].sort());
    // Applied in reverse order, the batches give the same membership.
    const held = new Set(customerIds('c', 1, 30));
    for (const b of [...second].reverse()) {
      b.adds.forEach((a) => held.add(String(a.customer_id)));
      b.removes.forEach((r) => held.delete(r.customer_id));
    }
    expect([...held].sort()).toEqual(customerIds('c', 11, 40));
    await receiver.close();
  });

  it('honours Retry-After as the next retry delay', async () => {
    const receiver = await startDeliveryReceiver(OLD, () => ({ status: 429, headers: { 'retry-after': '120' } }));
    const failure = await deliver(
      [webhook('limited', receiver.url)],
      await publishVersion('limited', ['c001']),
      'limited',
    ).catch((e: unknown) => e as ApplicationFailure);
    expect(failure).toMatchObject({ type: 'DestinationUnavailable', nonRetryable: false, nextRetryDelay: 120_000 });
    await receiver.close();
  });

  it('gives up at once on a 400, naming the destination and status', async () => {
    const receiver = await startDeliveryReceiver(OLD, () => ({ status: 400 }));
    const failure = (await deliver(
      [webhook('strict', receiver.url)],
      await publishVersion('strict', ['c001']),
      'strict',
    ).catch((e: unknown) => e)) as ApplicationFailure;
    expect(failure).toMatchObject({ nonRetryable: true, type: 'DestinationRejected' });
    expect(failure.message).toMatch(/strict .*answered 400/);
    await receiver.close();
  });

  it('disables a destination that answers 410 Gone and skips it afterwards', async () => {
    const receiver = await startDeliveryReceiver(OLD, () => ({ status: 410 }));
    const gone = webhook('gone', receiver.url);
    expect(await deliver([gone], await publishVersion('gone', ['c001']), 'gone')).toEqual([
      expect.objectContaining({ delivered: false }),
    ]);
    await deliver([gone], await publishVersion('gone', ['c002']), 'gone');
    expect(receiver.requests).toHaveLength(1);
    expect(
      (await test.db.query("SELECT reason FROM destination_state WHERE destination = 'gone'")).rows[0].reason,
    ).toMatch(/410/);
    await receiver.close();
  });

  it('treats a receiver that never answers within timeoutMs as a retryable timeout', async () => {
    const receiver = await startDeliveryReceiver(OLD, () => 'hang');
    const failure = await deliver(
      [webhook('slow', receiver.url, { timeoutMs: 300 })],
      await publishVersion('slow', ['c001']),
      'slow',
    ).catch((e: unknown) => e as ApplicationFailure);
    expect(failure).toMatchObject({ type: 'DestinationTimeout', nonRetryable: false });
    await receiver.close();
  });
});

describe('refusing webhook URLs that reach private networks', () => {
  it.each([
    ['http://localhost:9/hook', /localhost resolves to (127\.0\.0\.1|::1) \(loopback, not a public address\)/],
    ['http://10.1.2.3/hook', /10\.1\.2\.3 \(private, not a public address\)/],
    ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254 \(linkLocal, not a public address\)/],
    ['http://[::1]:8080/hook', /::1 \(loopback, not a public address\)/],
    ['file:///etc/passwd', /only http and https/],
  ])('refuses %s', async (url, why) => {
    await expect(assertSafeUrl('crm', url, false)).rejects.toThrow(why);
  });

  it('refuses at send time as a non-retryable failure', async () => {
    const failure = await deliver(
      [webhook('meta', 'http://169.254.169.254/x', { allowPrivateNetwork: false })],
      await publishVersion('ssrf', ['c001']),
      'ssrf',
    ).catch((e: unknown) => e as ApplicationFailure);
    expect(failure).toMatchObject({ nonRetryable: true, type: 'UnsafeDestinationUrl' });
  });
});

describe('file and SQL destinations', () => {
  it('writes full and diff files with a manifest of counts and sha256s, leaving no temp files', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'cf-export-'));
    const files: Destination = {
      kind: 'file',
      name: 'lake',
      purpose: 'product',
      fields: ['customer_id', 'plan'],
      allowRawEmail: false,
      folder,
      formats: ['csv', 'ndjson'],
    };
    await deliver([files], await publishVersion('exported', ['c001', 'c002']), 'exported');
    await deliver([files], await publishVersion('exported', ['c002', 'c003']), 'exported');
    const dir = path.join(folder, 'exported', 'v2');
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      cohortId: 'exported',
      version: 2,
      previousVersion: 1,
      files: { 'full.csv': { rows: 2 }, 'diff.ndjson': { rows: 2 } },
    });
    const csv = await fs.readFile(path.join(dir, 'diff.csv'), 'utf8');
    expect(csv).toBe('change,customer_id,plan\nadd,c003,pro\nremove,c001,\n');
    expect(crypto.createHash('sha256').update(csv).digest('hex')).toBe(manifest.files['diff.csv'].sha256);
    expect((await fs.readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('keeps published_cohort_members equal to the published membership after two versions', async () => {
    const table: Destination = {
      kind: 'sql',
      name: 'warehouse',
      purpose: 'product',
      fields: ['customer_id'],
      allowRawEmail: false,
    };
    await deliver([table], await publishVersion('tabled', ['c001', 'c002', 'c003']), 'tabled');
    await deliver([table], await publishVersion('tabled', ['c002', 'c003', 'c004']), 'tabled');
    const rows = await test.db.query(
      "SELECT customer_id, version FROM published_cohort_members WHERE cohort_id = 'tabled' ORDER BY 1",
    );
    expect(rows.rows).toEqual([
      { customer_id: 'c002', version: 2 },
      { customer_id: 'c003', version: 2 },
      { customer_id: 'c004', version: 2 },
    ]);
  });
});
