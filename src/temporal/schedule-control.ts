import { randomUUID } from 'node:crypto';
import { type Client, ScheduleNotFoundError } from '@temporalio/client';
import { describeCadence } from '../calendar/cadence';
import { occurrencesBetween } from '../calendar/freeze';
import { type CalendarSettings, loadInstallation } from '../calendar/installation';
import { asFreezeWindow, declaredFreezes, declareFreeze, lastSlot } from '../calendar/schedule-store';
import { appendAudit } from '../data/audit';
import type { Db } from '../data/db';

// What people do with the schedules: see them with their next slots and the freezes ahead, pause
// and resume one, declare a freeze. Every change carries a reason and is audited.

/** How far ahead `list` shows freezes. */
const FREEZES_AHEAD_DAYS = 120;

export class UnknownSchedule extends Error {}
export class FreezeExists extends Error {}

export interface ScheduleView {
  id: string;
  cadence: string;
  tier: string;
  when: string;
  paused: boolean;
  note: string | null;
  nextRuns: string[];
  lastSlot: string | null;
}

export interface FreezeView {
  name: string;
  reason: string;
  onPublish: 'wait' | 'skip';
  from: string;
  until: string;
  source: 'file' | 'declared';
}

export interface ScheduleControl {
  list(now?: Date): Promise<{ schedules: ScheduleView[]; freezes: FreezeView[] }>;
  pause(id: string, reason: string, by: string): Promise<ScheduleView>;
  resume(id: string, reason: string, by: string): Promise<ScheduleView>;
  freeze(f: {
    name: string;
    reason: string;
    onPublish: 'wait' | 'skip';
    from: Date;
    until: Date;
    by: string;
  }): Promise<FreezeView>;
}

export function scheduleControl(deps: { client: Client; db: Db; calendar: CalendarSettings }): ScheduleControl {
  const { client, db } = deps;

  async function view(id: string, now: Date): Promise<ScheduleView> {
    const installation = await loadInstallation(deps.calendar, now);
    const s = installation.schedules.find((x) => x.id === id);
    if (!s)
      throw new UnknownSchedule(`no schedule ${id} (schedules: ${installation.schedules.map((x) => x.id).join(', ')})`);
    const described = await client.schedule
      .getHandle(id)
      .describe()
      .catch((err: unknown) => {
        if (err instanceof ScheduleNotFoundError)
          throw new UnknownSchedule(
            `schedule ${id} is in the schedules file but not in Temporal yet: start the API to create it`,
          );
        throw err;
      });
    const last = await lastSlot(db, id);
    return {
      id,
      cadence: s.cadence,
      tier: s.tier,
      when: describeCadence(s.when, installation.calendars.get(s.when.calendar)!),
      paused: described.state.paused,
      note: described.state.note ?? null,
      nextRuns: described.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()),
      lastSlot: last ? last.slot.toISOString() : null,
    };
  }

  async function audited(id: string, action: 'pause' | 'resume', reason: string, by: string) {
    await appendAudit(db, {
      key: `schedule:${id}:${action}:${randomUUID()}`,
      actor: by,
      action: `schedules.${action}`,
      details: { scheduleId: id, reason },
    });
  }

  return {
    async list(now = new Date()) {
      const installation = await loadInstallation(deps.calendar, now);
      const schedules = await Promise.all(installation.schedules.map((s) => view(s.id, now)));
      const ahead = new Date(now.getTime() + FREEZES_AHEAD_DAYS * 86_400_000);
      const declared = await declaredFreezes(db, now);
      const declaredNames = new Set(declared.map((d) => d.name));
      const freezes = [...installation.freezes, ...declared.map(asFreezeWindow)]
        .flatMap((f) => occurrencesBetween(f, installation.calendars, now, ahead))
        .sort((a, b) => a.start.getTime() - b.start.getTime())
        .map((o): FreezeView => ({
          name: o.name,
          reason: o.reason,
          onPublish: o.onPublish,
          from: o.start.toISOString(),
          until: o.end.toISOString(),
          source: declaredNames.has(o.name) ? 'declared' : 'file',
        }));
      return { schedules, freezes };
    },
    async pause(id, reason, by) {
      await view(id, new Date());
      await client.schedule.getHandle(id).pause(`paused by ${by}: ${reason}`);
      await audited(id, 'pause', reason, by);
      return view(id, new Date());
    },
    async resume(id, reason, by) {
      await view(id, new Date());
      await client.schedule.getHandle(id).unpause(`resumed by ${by}: ${reason}`);
      await audited(id, 'resume', reason, by);
      return view(id, new Date());
    },
    async freeze(f) {
      const installation = await loadInstallation(deps.calendar, new Date());
      if (installation.freezes.some((x) => x.name === f.name))
        throw new FreezeExists(`the schedules file has a freeze named ${f.name} already`);
      const declared = {
        name: f.name,
        reason: f.reason,
        onPublish: f.onPublish,
        start: f.from,
        end: f.until,
        declaredBy: f.by,
      };
      if (!(await declareFreeze(db, declared))) throw new FreezeExists(`a freeze named ${f.name} exists already`);
      return {
        name: f.name,
        reason: f.reason,
        onPublish: f.onPublish,
        from: f.from.toISOString(),
        until: f.until.toISOString(),
        source: 'declared',
      };
    },
  };
}
