import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerDemoInbox } from '../../src/api/demo-inbox';
import type { Db } from '../../src/data/db';
import { signWebhook } from '../../src/destinations/webhook';
import { testApi, type TestApi } from '../support/api';

// The embedded demo's webhook receiver: it keeps what a signed delivery says, and refuses the rest.

const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-inbox-'));
const inboxFile = path.join(dir, 'demo-inbox.ndjson');
let api: TestApi;

const inboxApi = () =>
  testApi({ db: {} as Db, catalogDir: '/nonexistent' }, {}, [], (app) => registerDemoInbox(app, SECRET, inboxFile));

beforeAll(async () => {
  api = await inboxApi();
});

afterAll(async () => {
  await api.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const deliver = (body: string, secret = SECRET, id = `msg_${crypto.randomBytes(6).toString('hex')}`) => {
  const timestamp = Math.floor(Date.now() / 1000);
  return api.app.inject({
    method: 'POST',
    url: '/demo/webhook-inbox',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, id, timestamp, body),
    },
    payload: body,
  });
};

describe('the demo webhook inbox', () => {
  it('keeps a signed delivery as a summary', async () => {
    const body = JSON.stringify({
      type: 'cohort.delta',
      data: { cohortId: 'payers', adds: ['c1', 'c2'], removes: [] },
    });
    expect((await deliver(body)).statusCode).toBe(204);
    const received = (await api.call('GET', '/demo/webhook-inbox', null)).body;
    expect(received[0]).toMatchObject({ cohortId: 'payers', adds: 2, removes: 0, duplicate: false });
  });

  it('keeps the run, version and batch of each delivery, and still shows them after a restart', async () => {
    const body = JSON.stringify({
      type: 'cohort.delivery',
      data: {
        runId: 'refresh-adhoc-1',
        cohortId: 'churned',
        version: 3,
        batch: 1,
        batches: 2,
        adds: ['c9'],
        removes: [],
      },
    });
    expect((await deliver(body, SECRET, 'msg_resent')).statusCode).toBe(204);
    expect((await deliver(body, SECRET, 'msg_resent')).statusCode).toBe(204);
    await api.close();
    api = await inboxApi();
    const afterRestart = (await api.call('GET', '/demo/webhook-inbox?run=refresh-adhoc-1', null)).body;
    expect(afterRestart).toEqual([
      expect.objectContaining({
        webhookId: 'msg_resent',
        runId: 'refresh-adhoc-1',
        version: 3,
        batch: 1,
        duplicate: true,
      }),
      expect.objectContaining({ webhookId: 'msg_resent', cohortId: 'churned', adds: 1, removes: 0, duplicate: false }),
    ]);
    const all = (await api.call('GET', '/demo/webhook-inbox', null)).body;
    expect(all.map((r: { cohortId: string }) => r.cohortId)).toEqual(['churned', 'churned', 'payers']);
  });

  it('refuses a delivery signed with another secret', async () => {
    const body = JSON.stringify({ data: { cohortId: 'payers', adds: [], removes: [] } });
    const other = `whsec_${crypto.randomBytes(24).toString('base64')}`;
    expect((await deliver(body, other)).statusCode).toBe(401);
  });

  it('answers 400 naming the field for a signed delivery without its member lists', async () => {
    const answer = await deliver(JSON.stringify({ data: { cohortId: 'payers' } }));
    expect(answer.statusCode).toBe(400);
    expect(answer.json().issues.map((i: { path: string }) => i.path)).toEqual(['data.adds', 'data.removes']);
  });
});
