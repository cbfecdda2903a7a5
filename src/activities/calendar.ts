import { judgeSlot } from '../calendar/catch-up';
import { publishDecision } from '../calendar/freeze';
import { type CalendarInstallation, loadInstallation, scheduleById } from '../calendar/installation';
import { asFreezeWindow, claimSlot, declaredFreezes, lastSlot } from '../calendar/schedule-store';
import type { FreezeInForce, PublishWindow, SlotJudgement } from '../shared';
import { InvalidInputError } from '../yaml-input';
import { activityLog, invalidInput } from './context';
import type { ActivityDeps } from './deps';

// The calendar's answers for a run: whether a scheduled slot runs, and whether publish may go
// ahead now. Time-zone rules and the calendars live here, never in workflow code; the workflow
// passes its own clock's "now", so a replay or the time-skipping test server agree with it.

async function installation(deps: ActivityDeps, now: Date): Promise<CalendarInstallation | undefined> {
  if (!deps.calendar) return undefined;
  try {
    return await loadInstallation(deps.calendar, now);
  } catch (err) {
    // A broken schedules file is fixed by a person, not by retrying.
    if (err instanceof InvalidInputError) throw invalidInput(err.message);
    throw err;
  }
}

/** Judges the slot a schedule started this run for and, when it runs, claims it (each slot runs once). */
export async function judgeScheduledSlot(
  deps: ActivityDeps,
  input: { runId: string; scheduleId: string; slot: string; now: string },
): Promise<SlotJudgement> {
  const log = activityLog(deps.log, { runId: input.runId, scheduleId: input.scheduleId });
  const now = new Date(input.now);
  const found = await installation(deps, now);
  if (!found) return { verdict: 'run', reason: 'no schedules file is configured: every scheduled start runs' };
  let schedule;
  try {
    schedule = scheduleById(found, input.scheduleId);
  } catch (err) {
    return { verdict: 'unknown-schedule', reason: (err as Error).message };
  }
  const calendar = found.calendars.get(schedule.when.calendar)!;
  const slot = new Date(input.slot);
  const last = await lastSlot(deps.db, schedule.id);
  // A retry of the run that already claimed this slot goes ahead.
  if (last?.runId === input.runId)
    return { verdict: 'run', slot: last.slot.toISOString(), reason: `this run holds slot ${last.slot.toISOString()}` };
  const verdict = judgeSlot(schedule.when, calendar, { slot, lastSlot: last?.slot ?? null, now });
  let judgement: SlotJudgement;
  // A late start whose slot a newer due slot supersedes runs for that newer slot instead, if no
  // run has claimed it: whichever of Temporal's catch-up starts comes first runs the latest
  // missed slot, once, and the others find it claimed.
  const runsFor =
    verdict.kind === 'run'
      ? slot
      : verdict.kind === 'superseded' && verdict.by.getTime() <= now.getTime()
        ? verdict.by
        : undefined;
  if (runsFor)
    judgement = (await claimSlot(deps.db, schedule.id, runsFor, input.runId))
      ? {
          verdict: 'run',
          slot: runsFor.toISOString(),
          reason:
            runsFor === slot
              ? `slot ${slot.toISOString()} of ${schedule.id} runs`
              : `catching up: the latest missed slot of ${schedule.id}, ${runsFor.toISOString()}, runs once, for ${slot.toISOString()} and any slot between`,
        }
      : { verdict: 'already-ran', reason: `another run claimed slot ${runsFor.toISOString()} of ${schedule.id} first` };
  else if (verdict.kind === 'already-ran')
    judgement = {
      verdict: 'already-ran',
      reason: `slot ${slot.toISOString()} is not after ${verdict.lastSlot.toISOString()}, the last slot ${schedule.id} ran`,
    };
  else if (verdict.kind === 'superseded')
    judgement = {
      verdict: 'superseded',
      reason: `slot ${slot.toISOString()} started late and the next slot, ${verdict.by.toISOString()}, is due within days: it stands in`,
    };
  else if (verdict.kind === 'not-a-slot')
    judgement = {
      verdict: 'not-a-slot',
      reason: `${slot.toISOString()} is not a fire time of ${schedule.id} (a business-day change?); its next is ${verdict.next.toISOString()}`,
    };
  else throw new Error(`slot verdict ${verdict.kind} not handled`);
  log.info(judgement, 'scheduled slot judged');
  return judgement;
}

const inForce = (o: { name: string; reason: string; onPublish: 'wait' | 'skip'; start: Date; end: Date }) => ({
  name: o.name,
  reason: o.reason,
  onPublish: o.onPublish,
  start: o.start.toISOString(),
  end: o.end.toISOString(),
});

/** Whether a run reaching publish at `at` publishes, waits out a freeze, or skips its publish. */
export async function freezeAtPublish(
  deps: ActivityDeps,
  input: { runId: string; at: string },
): Promise<PublishWindow> {
  const at = new Date(input.at);
  const found = await installation(deps, at);
  const declared = (await declaredFreezes(deps.db, at)).map(asFreezeWindow);
  const windows = [...(found?.freezes ?? []), ...declared];
  const decision = publishDecision(windows, found?.calendars ?? new Map(), at);
  const freezes: FreezeInForce[] = decision.kind === 'publish' ? [] : decision.freezes.map(inForce);
  if (decision.kind !== 'publish')
    activityLog(deps.log, { runId: input.runId }).info(
      { decision: decision.kind, freezes: freezes.map((f) => f.name) },
      'publish meets a freeze',
    );
  if (decision.kind === 'wait') return { kind: 'wait', until: decision.until.toISOString(), freezes };
  return decision.kind === 'skip' ? { kind: 'skip', freezes } : { kind: 'publish' };
}
