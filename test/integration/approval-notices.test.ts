import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/activities/deps';
import { notifyApprovers, type NotifyApproversInput } from '../../src/activities/notify';
import { createLogger } from '../../src/log';
import { outboxChannel, webhookChannel, type NoticeChannel } from '../../src/notifications/approval-notices';
import { startWebhookReceiver } from '../support/webhook-receiver';

const secret = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-outbox-'));
const notice: NotifyApproversInput = {
  runId: 'refresh-monthly-20261123-abc',
  event: 'reminder',
  reminder: 1,
  approvers: ['bob', 'carol'],
  deadline: '2026-11-26T10:00:00.000Z',
  requestedBy: 'alice',
  rationale: 'monthly refresh',
  waiting: [{ cohortId: 'paying-enterprise', tier: 'strategic', reason: 'strategic cohort', approvalsNeeded: 2 }],
};

const depsWith = (notices: NoticeChannel[]) => ({ log: createLogger('silent'), notices }) as unknown as ActivityDeps;
const notify = (notices: NoticeChannel[], input = notice) =>
  new MockActivityEnvironment().run(notifyApprovers, depsWith(notices), input);

afterAll(() => fs.rmSync(outbox, { recursive: true, force: true }));

describe('approval notices', () => {
  it('writes one whole JSON file per notice to the outbox, and a retry rewrites the same file', async () => {
    await notify([outboxChannel(outbox)]);
    await notify([outboxChannel(outbox)]);
    const files = fs.readdirSync(outbox);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^ntf_[0-9a-f]{32}\.json$/);
    const written = JSON.parse(fs.readFileSync(path.join(outbox, files[0]!), 'utf8')) as Record<string, unknown>;
    expect(written).toMatchObject({
      type: 'approval.notice',
      id: files[0]!.replace('.json', ''),
      event: 'reminder',
      approvers: ['bob', 'carol'],
      waiting: [{ cohortId: 'paying-enterprise', approvalsNeeded: 2 }],
    });
  });

  it('signs webhook notices so an independent Standard Webhooks library verifies them, with a stable id', async () => {
    const receiver = await startWebhookReceiver(secret);
    try {
      await notify([webhookChannel({ url: receiver.url, secret, allowPrivateNetwork: true })]);
      await notify([webhookChannel({ url: receiver.url, secret, allowPrivateNetwork: true })]);
      await notify([webhookChannel({ url: receiver.url, secret, allowPrivateNetwork: true })], {
        ...notice,
        reminder: 2,
      });
      expect(receiver.received.map((r) => r.verified)).toEqual([true, true, true]);
      const ids = receiver.received.map((r) => r.id);
      expect(ids[0]).toBe(ids[1]); // a retry: the receiver drops the copy by webhook-id
      expect(ids[2]).not.toBe(ids[0]);
    } finally {
      await receiver.close();
    }
  });

  it('retries while the webhook answers 503, and gives up on a 404 without stalling the gate', async () => {
    let status = 503;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(status).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notices`;
    try {
      await expect(notify([webhookChannel({ url, secret, allowPrivateNetwork: true })])).rejects.toThrow(
        'approval notice webhook answered 503',
      );
      status = 404;
      await expect(
        notify([webhookChannel({ url, secret, allowPrivateNetwork: true }), outboxChannel(outbox)], {
          ...notice,
          event: 'expired',
          reminder: 2,
        }),
      ).resolves.toBeUndefined();
      expect(fs.readdirSync(outbox)).toHaveLength(2); // the outbox still got the notice
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
