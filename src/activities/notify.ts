import { noticeIdOf, type ApprovalNotice } from '../notifications/approval-notices';
import { activityLog } from './context';
import type { ActivityDeps } from './deps';

export type NotifyApproversInput = Omit<ApprovalNotice, 'id'>;

/**
 * Tells the approvers that a gate opened, is still waiting, or expired: always in the log, and
 * through every configured channel. A channel that refuses for good (a 4xx) is logged and
 * skipped, so one broken webhook cannot stall the gate; a transient failure retries.
 */
export async function notifyApprovers(deps: ActivityDeps, input: NotifyApproversInput): Promise<void> {
  const notice: ApprovalNotice = { id: noticeIdOf(input.runId, input.event, input.reminder), ...input };
  const log = activityLog(deps.log, { runId: input.runId });
  log.info(
    {
      event: input.event,
      approvers: input.approvers,
      deadline: input.deadline,
      waiting: input.waiting.map((w) => w.cohortId),
      noticeId: notice.id,
    },
    `approval ${input.event}: waiting for ${input.approvers.join(', ') || 'nobody eligible'}`,
  );
  for (const channel of deps.notices ?? []) {
    try {
      await channel.send(notice);
    } catch (err) {
      if ((err as { retryable?: boolean }).retryable === false) {
        log.error({ err, channel: channel.name }, 'approval notice refused by its channel; not retried');
        continue;
      }
      throw err;
    }
  }
}
