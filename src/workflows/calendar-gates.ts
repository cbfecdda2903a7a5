import { sleep } from '@temporalio/workflow';
import { stages } from './activities';
import type { RefreshState } from './refresh-state';
import type { RefreshInput, SlotJudgement } from '../shared';

// Where the business calendar meets a run: a scheduled run first asks whether its slot is one to
// run, and every run asks at publish whether a freeze is in force. The answers come from
// activities (calendars, zone rules and Postgres stay out of workflow code); the workflow's own
// clock says when, so the decisions replay exactly.

/** A Temporal schedule names each run `<workflowId>-<nominal time>`: the slot it was started for. */
const SLOT_SUFFIX = /-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)$/;

/** The schedule and slot of a run a schedule started, or undefined for any other run. */
export function scheduledSlot(input: RefreshInput, runId: string): { scheduleId: string; slot: string } | undefined {
  const by = /^schedule:(.+)$/.exec(input.requestedBy);
  const slot = SLOT_SUFFIX.exec(runId);
  return by && slot ? { scheduleId: by[1]!, slot: slot[1]! } : undefined;
}

/** Whether the run's slot runs; a run no schedule started always does. */
export async function judgeSlot(state: RefreshState, input: RefreshInput): Promise<SlotJudgement> {
  const scheduled = scheduledSlot(input, state.runId);
  if (!scheduled) return { verdict: 'run', reason: 'not started by a schedule' };
  state.status.slot = scheduled.slot;
  const judgement = await stages.judgeScheduledSlot({
    runId: state.runId,
    ...scheduled,
    now: new Date().toISOString(),
  });
  if (judgement.slot) state.status.slot = judgement.slot;
  await stages.audit({
    runId: state.runId,
    actor: 'cohortflow',
    action: `schedule.slot_${judgement.verdict.replace(/-/g, '_')}`,
    details: { scheduleId: scheduled.scheduleId, slot: scheduled.slot, reason: judgement.reason },
  });
  return judgement;
}

/**
 * Holds the run before publish while a freeze window is in force: `wait` sleeps on a durable
 * timer until the freezes clear, then asks again (a freeze may have been declared meanwhile);
 * `skip` ends the publish. Resolves 'publish' or 'skip'.
 */
export async function publishWindow(state: RefreshState): Promise<'publish' | 'skip'> {
  const { runId } = state;
  for (;;) {
    const window = await stages.freezeAtPublish({ runId, at: new Date().toISOString() });
    if (window.kind === 'publish') {
      if (state.status.freeze) state.status.freeze.clearedAt = new Date().toISOString();
      return 'publish';
    }
    const names = window.freezes.map((f) => f.name);
    if (window.kind === 'skip') {
      state.status.freeze = { policy: 'skip', freezes: window.freezes };
      await stages.audit({ runId, actor: 'cohortflow', action: 'publish.skipped_freeze', details: { freezes: names } });
      return 'skip';
    }
    const waitingAlready = state.status.freeze?.until === window.until;
    state.status.freeze = { policy: 'wait', freezes: window.freezes, until: window.until };
    if (state.status.stage !== 'frozen') state.enter('frozen');
    if (!waitingAlready)
      await stages.audit({
        runId,
        actor: 'cohortflow',
        action: 'publish.frozen',
        details: { freezes: names, until: window.until },
      });
    await sleep(Math.max(1_000, Date.parse(window.until) - Date.now()));
  }
}
