import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { type BusinessCalendar, businessCalendar } from '../../src/calendar/business-calendar';
import { type Cadence, fireTimes } from '../../src/calendar/cadence';
import { judgeSlot } from '../../src/calendar/catch-up';
import { type FreezeWindow, publishDecision } from '../../src/calendar/freeze';
import { atLocalTime, localDate, type Temporal } from '../../src/calendar/zoned-time';
import { signedScheduledStart } from '../../src/temporal/signed-messages';
import { refreshCycle } from '../../src/workflows';
import { status } from '../../src/workflows/messages';
import { RefreshStage } from '../../src/workflows/search-attributes';
import type { PublishWindow, RefreshInput } from '../../src/shared';
import {
  type Fakes,
  fakeActivities,
  refreshInput,
  statusWhen,
  TEST_SIGNER,
  useTimeSkippingServer,
  withRefresh,
} from '../support/workflow-harness';
import { workflowBundle } from '../support/temporal';

const env = useTimeSkippingServer();

// The decisions are the real calendar module's; only where the freezes and slots come from
// (the schedules file, Postgres) is replaced.

const utcMinute = (t: number) => new Date(t).toISOString().slice(0, 16);
const HOUR = 3_600_000;

/** The test server's clock, which skips ahead with every durable timer a test waits out. */
const serverNow = () => env().currentTimeMs();

/** A one-off freeze in UTC from an hour before `now` until `hours` after it. */
const freezeAround = (now: number, onPublish: 'wait' | 'skip', hours: number): FreezeWindow => ({
  name: `test-${onPublish}`,
  reason: 'the test declares a freeze around its run',
  timeZone: 'UTC',
  onPublish,
  once: { from: utcMinute(now - HOUR), until: utcMinute(now + hours * HOUR) },
});

function freezing(windows: FreezeWindow[]): Fakes {
  return fakeActivities({
    overrides: () => ({
      freezeAtPublish: async ({ at }): Promise<PublishWindow> => {
        const d = publishDecision(windows, new Map(), new Date(at));
        const freezes =
          d.kind === 'publish'
            ? []
            : d.freezes.map((f) => ({ ...f, start: f.start.toISOString(), end: f.end.toISOString() }));
        if (d.kind === 'wait') return { kind: 'wait', until: d.until.toISOString(), freezes };
        return d.kind === 'skip' ? { kind: 'skip', freezes } : { kind: 'publish' };
      },
    }),
  });
}

describe('freeze windows at publish', () => {
  it('holds an approved run in stage frozen until the freeze ends, then publishes', async () => {
    const now = await serverNow();
    const fakes = freezing([freezeAround(now, 'wait', 48)]);
    const outcome = await withRefresh(refreshInput('tactical', { watchWindow: '0s' }), fakes, async (run) => {
      const frozen = await statusWhen(run, (s) => s.stage === 'frozen', 'stage frozen');
      expect(frozen.freeze).toMatchObject({ policy: 'wait', freezes: [{ name: 'test-wait', onPublish: 'wait' }] });
      expect(Date.parse(frozen.freeze!.until!) - now).toBeGreaterThan(47 * HOUR);
      expect((await run.describe()).typedSearchAttributes.get(RefreshStage)).toBe('frozen');
      expect(fakes.calls.publishSnapshots).toHaveLength(0);
      return run.result();
    });
    expect(outcome.outcome).toBe('published');
    expect(fakes.calls.publishSnapshots).toHaveLength(1);
    // Asked once on arrival and once when the timer fired: the second answer let it publish.
    expect(fakes.calls.freezeAtPublish).toHaveLength(2);
    expect(Date.parse(fakes.calls.freezeAtPublish[1]!.at)).toBeGreaterThanOrEqual(
      Date.parse(fakes.calls.freezeAtPublish[0]!.at) + 47 * HOUR,
    );
    expect(fakes.audited()).toContain('publish.frozen');
  });

  it('ends an approved run without publishing when a freeze in force says skip', async () => {
    const now = await serverNow();
    const fakes = freezing([freezeAround(now, 'wait', 48), freezeAround(now, 'skip', 2)]);
    const outcome = await withRefresh(refreshInput('tactical'), fakes, (run) => run.result());
    expect(outcome).toMatchObject({
      outcome: 'skipped',
      decision: { kind: 'approved' },
      published: [],
      deliveries: [],
    });
    expect(fakes.calls.publishSnapshots).toHaveLength(0);
    expect(fakes.calls.recordOutcome).toEqual([expect.objectContaining({ outcome: 'skipped' })]);
    expect(fakes.audited()).toContain('publish.skipped_freeze');
  });

  it('publishes at once when no freeze is in force', async () => {
    const now = await serverNow();
    const fakes = freezing([
      {
        ...freezeAround(now, 'skip', 2),
        once: { from: utcMinute(now + 24 * HOUR), until: utcMinute(now + 30 * HOUR) },
      },
    ]);
    const outcome = await withRefresh(refreshInput('tactical', { watchWindow: '0s' }), fakes, (run) => run.result());
    expect(outcome.outcome).toBe('published');
    expect(fakes.calls.freezeAtPublish).toHaveLength(1);
  });
});

describe('business-day slots of a scheduled run', () => {
  const cadence: Cadence = { every: 'month', businessDay: 1, at: '06:00', calendar: 'test' };
  // The test server's clock runs years ahead of the shipped calendars, so the calendar is made
  // here: next month's first weekday is a holiday, which moves the first business day.
  let calendar: BusinessCalendar;
  let holiday: Temporal.PlainDate;
  beforeAll(async () => {
    const next = localDate(new Date(await serverNow()), 'Europe/Berlin')
      .toPlainYearMonth()
      .add({ months: 1 });
    holiday = next.toPlainDate({ day: 1 });
    while (holiday.dayOfWeek > 5) holiday = holiday.add({ days: 1 });
    calendar = businessCalendar({
      id: 'test',
      name: 'weekends and one holiday',
      timeZone: 'Europe/Berlin',
      weekend: ['saturday', 'sunday'],
      covers: { from: '2020-01-01', through: '2099-12-31' },
      holidays: [{ date: holiday.toString(), name: 'Company day' }],
    });
  });

  /** Starts a run as the monthly schedule does for `slot`: its id ends with the slot, its input signed for the schedule. */
  async function scheduledRun(slot: Date, fakes: Fakes) {
    const taskQueue = `calendar-test-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env().nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: fakes.activities,
    });
    const input: Omit<RefreshInput, 'requestProof'> = {
      cadence: 'monthly',
      tier: 'tactical',
      requestedBy: 'schedule:cohortflow-monthly',
      rationale: 'monthly refresh of tactical cohorts',
      watchWindow: '0s',
    };
    const workflowId = `refresh-monthly-${randomUUID().slice(0, 8)}-${slot.toISOString().replace('.000Z', 'Z')}`;
    return worker.runUntil(async () => {
      const run = await env().client.workflow.start(refreshCycle, {
        taskQueue,
        workflowId,
        args: [signedScheduledStart(TEST_SIGNER, 'refresh-monthly', input)],
      });
      const outcome = await run.result();
      return { outcome, status: await run.query(status) };
    });
  }

  const slotJudge = () =>
    fakeActivities({
      overrides: () => ({
        judgeScheduledSlot: async ({ slot, now }) => {
          const v = judgeSlot(cadence, calendar, { slot: new Date(slot), lastSlot: null, now: new Date(now) });
          return v.kind === 'run'
            ? { verdict: 'run', slot, reason: 'the slot runs' }
            : { verdict: v.kind, reason: JSON.stringify(v) };
        },
      }),
    });

  it('refreshes when started on the first business day of the month at 06:00 Berlin, the day after a holiday', async () => {
    const [slot] = fireTimes(cadence, calendar, new Date(await serverNow()), 1);
    expect(localDate(slot!, 'Europe/Berlin').equals(holiday)).toBe(false);
    const fakes = slotJudge();
    const { outcome, status: s } = await scheduledRun(slot!, fakes);
    expect(outcome.outcome).toBe('published');
    expect(Date.parse(s.slot!)).toBe(slot!.getTime());
    expect(fakes.calls.ingestSources).toHaveLength(1);
  });

  it('ends without refreshing when started on the holiday (a schedule spec made before the holiday was added)', async () => {
    const onHoliday = atLocalTime(holiday, '06:00', 'Europe/Berlin');
    const fakes = slotJudge();
    const { outcome, status: s } = await scheduledRun(onHoliday, fakes);
    expect(outcome.outcome).toBe('skipped');
    expect(s.skipped).toMatch(/not-a-slot/);
    expect(fakes.calls.ingestSources).toHaveLength(0);
    expect(fakes.audited()).toContain('schedule.slot_not_a_slot');
  });
});
