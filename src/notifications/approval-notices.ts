import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { defaultOutboundHttp, type OutboundHttp } from '../destinations/outbound-http';
import { retryableStatus, sendSignedWebhook } from '../destinations/webhook';

/** What approvers are told when a gate opens, at each reminder, and when it expires. */
export interface ApprovalNotice {
  /** Stable per (run, event, reminder): a retried notice has the same id, receivers drop the copy. */
  id: string;
  runId: string;
  event: 'opened' | 'reminder' | 'expired';
  reminder: number;
  approvers: string[];
  deadline: string;
  requestedBy: string;
  rationale: string;
  waiting: Array<{ cohortId: string; tier: string; reason: string; approvalsNeeded: number }>;
}

/** Where notices go: a file outbox a mailer or chat bridge picks up, or a signed webhook. */
export interface NoticeChannel {
  name: string;
  send(notice: ApprovalNotice): Promise<void>;
}

export const noticeIdOf = (runId: string, event: string, reminder: number) =>
  `ntf_${crypto.createHash('sha256').update(`${runId}\n${event}\n${reminder}`).digest('hex').slice(0, 32)}`;

/** One JSON file per notice, written whole (temp file, then rename): a reader never sees half a notice. */
export function outboxChannel(dir: string): NoticeChannel {
  return {
    name: `outbox:${dir}`,
    async send(notice) {
      await fs.mkdir(dir, { recursive: true });
      const file = path.join(dir, `${notice.id}.json`);
      const temp = `${file}.${process.pid}.tmp`;
      await fs.writeFile(temp, `${JSON.stringify({ type: 'approval.notice', ...notice }, null, 2)}\n`);
      await fs.rename(temp, file);
    },
  };
}

/**
 * A Standard Webhooks POST through the outbound client, whose address checks refuse a private or
 * loopback receiver unless allowPrivateNetwork (APPROVAL_NOTIFY_ALLOW_PRIVATE_NETWORK) says so;
 * 5xx, 408 and 429 throw so the activity retries, other 4xx are logged by the caller.
 */
export function webhookChannel(options: {
  url: string;
  secret: string;
  timeoutMs?: number;
  allowPrivateNetwork?: boolean;
  http?: OutboundHttp;
}): NoticeChannel {
  return {
    name: `webhook:${new URL(options.url).host}`,
    async send(notice) {
      const { status } = await sendSignedWebhook(options.http ?? defaultOutboundHttp(), {
        target: 'approval notice webhook',
        url: options.url,
        secrets: [options.secret],
        id: notice.id,
        type: 'approval.notice',
        data: notice,
        timeoutMs: options.timeoutMs ?? 10_000,
        allowPrivateNetwork: options.allowPrivateNetwork ?? false,
      });
      if (status >= 200 && status < 300) return;
      throw Object.assign(new Error(`approval notice webhook answered ${status} for ${notice.id}`), {
        retryable: retryableStatus(status),
      });
    },
  };
}

/** The configured channels: the file outbox always, the webhook when APPROVAL_NOTIFY_URL is set. */
export function noticeChannels(approval: {
  outboxDir: string;
  notifyWebhook?: { url: string; secret: string; allowPrivateNetwork: boolean };
}): NoticeChannel[] {
  return [
    outboxChannel(approval.outboxDir),
    ...(approval.notifyWebhook ? [webhookChannel(approval.notifyWebhook)] : []),
  ];
}
