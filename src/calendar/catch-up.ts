import { type BusinessCalendar } from './business-calendar';
import { type Cadence, fireTimes, fireTimesBetween } from './cadence';

// What runs after downtime. A refresh computes cohorts as of when it runs, so a missed slot
// has nothing to offer that a later run does not: after any outage the most recent missed slot
// runs once and the older ones are recorded as superseded, never run. Unless the next slot is
// due so soon that a run now would be repeated almost at once; then it supersedes them all.
// Each slot runs at most once: the slot's instant is the run's identity, and a slot at or before
// the last one run is never run again.

/** With the next slot closer than this, a missed one is not caught up. */
export const DEFAULT_SKIP_IF_NEXT_WITHIN_MS = 3 * 86_400_000;

export interface CatchUpDecision {
  /** The one slot to run now, or null. */
  run: Date | null;
  /** Missed slots that will never run, oldest first. */
  superseded: Date[];
  reason: string;
}

/**
 * On recovery at `now`, given the last slot that ran (null for a schedule that never ran:
 * nothing to catch up, it starts with its next slot).
 */
export function catchUp(
  cadence: Cadence,
  calendar: BusinessCalendar,
  input: { lastSlot: Date | null; now: Date; skipIfNextWithinMs?: number },
): CatchUpDecision {
  if (input.lastSlot === null)
    return { run: null, superseded: [], reason: 'the schedule has never run: it starts with its next slot' };
  const missed = fireTimesBetween(cadence, calendar, input.lastSlot, input.now);
  if (missed.length === 0) return { run: null, superseded: [], reason: 'no slot was missed' };
  const [next] = fireTimes(cadence, calendar, input.now, 1);
  const within = input.skipIfNextWithinMs ?? DEFAULT_SKIP_IF_NEXT_WITHIN_MS;
  if (next!.getTime() - input.now.getTime() < within)
    return {
      run: null,
      superseded: missed,
      reason: `the next slot, ${next!.toISOString()}, is due within ${within / 3_600_000} h: it stands in for the missed ones`,
    };
  const latest = missed[missed.length - 1]!;
  return {
    run: latest,
    superseded: missed.slice(0, -1),
    reason:
      missed.length === 1
        ? `the slot ${latest.toISOString()} was missed: it runs now, once`
        : `${missed.length} slots were missed: the latest, ${latest.toISOString()}, runs now, once; the others are superseded`,
  };
}

export type SlotVerdict =
  | { kind: 'run' }
  | { kind: 'already-ran'; lastSlot: Date }
  | { kind: 'superseded'; by: Date }
  | { kind: 'not-a-slot'; next: Date };

/** A start this late after its slot counts as a catch-up (Temporal starts on-time slots within seconds). */
export const LATE_AFTER_MS = 3_600_000;

/**
 * Whether a run started for `slot` (by the schedule, possibly catching up, or by a retry)
 * should go ahead at `now`, by the same rules as catchUp: it must be one of the cadence's fire
 * times (a schedule spec computed before a holiday was added may not be), newer than the last
 * slot run, the latest slot due, and, if late, not about to be followed by the next slot.
 */
export function judgeSlot(
  cadence: Cadence,
  calendar: BusinessCalendar,
  input: { slot: Date; lastSlot: Date | null; now: Date; skipIfNextWithinMs?: number },
): SlotVerdict {
  const [next] = fireTimes(cadence, calendar, new Date(input.slot.getTime() - 1), 1);
  if (next!.getTime() !== input.slot.getTime()) return { kind: 'not-a-slot', next: next! };
  if (input.lastSlot !== null && input.slot.getTime() <= input.lastSlot.getTime())
    return { kind: 'already-ran', lastSlot: input.lastSlot };
  const due = fireTimesBetween(cadence, calendar, input.slot, input.now);
  if (due.length > 0) return { kind: 'superseded', by: due[due.length - 1]! };
  if (input.now.getTime() - input.slot.getTime() > LATE_AFTER_MS) {
    const [following] = fireTimes(cadence, calendar, input.now, 1);
    if (following!.getTime() - input.now.getTime() < (input.skipIfNextWithinMs ?? DEFAULT_SKIP_IF_NEXT_WITHIN_MS))
      return { kind: 'superseded', by: following! };
  }
  return { kind: 'run' };
}
