import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { freezeAtPublish, judgeScheduledSlot } from '../../src/activities/calendar';
import type { ActivityDeps } from '../../src/activities/deps';
import { declareFreeze } from '../../src/calendar/schedule-store';
import { createLogger } from '../../src/log';
import type { SlotJudgement } from '../../src/shared';
import { freshDatabase, type TestDatabase } from '../support/db';

// The slot check and the freeze check as a worker runs them: the shipped calendars, a schedules
// file, and Postgres holding the slots run and the freezes declared.

const SCHEDULES = `
schedules:
  - id: monthly
    cadence: monthly
    tier: tactical
    rationale: monthly refresh of tactical cohorts
    when: { every: month, businessDay: 1, at: '06:00', calendar: de }
freezes:
  - name: quarter-close
    reason: Finance closes the quarter; audiences stay as they are.
    timeZone: Europe/Berlin
    onPublish: wait
    periodClose: { period: quarter, calendar: de, lastBusinessDays: 2, firstBusinessDays: 3 }
`;

describe('scheduled slots and freezes, judged by the worker', () => {
  let database: TestDatabase;
  let deps: ActivityDeps;
  beforeAll(async () => {
    database = await freshDatabase('schedule_slots');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'slots-'));
    await fs.writeFile(path.join(dir, 'schedules.yaml'), SCHEDULES);
    deps = {
      db: database.db,
      log: createLogger('silent'),
      sourceDir: dir,
      catalogDir: dir,
      destinations: [],
      calendar: {
        schedulesFile: path.join(dir, 'schedules.yaml'),
        calendarsDir: path.join(__dirname, '../../calendars'),
      },
    };
  });
  afterAll(async () => {
    await database?.drop();
  });

  const judge = (runId: string, slot: string, now: string): Promise<SlotJudgement> =>
    new MockActivityEnvironment().run(judgeScheduledSlot, deps, { runId, scheduleId: 'monthly', slot, now });

  // The first business day at 06:00 Berlin: Thu 1 Oct 2026 (04:00Z, summer time), Mon 2 Nov
  // (1 Nov is a Sunday), Tue 1 Dec 2026 (05:00Z).
  it('runs each slot once; after downtime the latest missed slot runs once, whichever catch-up start comes first', async () => {
    expect(await judge('r-oct', '2026-10-01T04:00:00Z', '2026-10-01T04:00:05Z')).toMatchObject({ verdict: 'run' });
    // Down from 31 October to 20 December: Temporal starts the missed November and December slots.
    expect(await judge('r-nov', '2026-11-02T05:00:00Z', '2026-12-20T09:00:00Z')).toMatchObject({
      verdict: 'run',
      slot: '2026-12-01T05:00:00.000Z',
    });
    expect(await judge('r-dec', '2026-12-01T05:00:00Z', '2026-12-20T09:00:01Z')).toMatchObject({
      verdict: 'already-ran',
    });
    // A retry of the run that holds the slot still runs; a second recovery starts nothing again.
    expect(await judge('r-nov', '2026-11-02T05:00:00Z', '2026-12-20T09:01:00Z')).toMatchObject({ verdict: 'run' });
    expect(await judge('r-nov-2', '2026-11-02T05:00:00Z', '2026-12-21T09:00:00Z')).toMatchObject({
      verdict: 'already-ran',
    });
  });

  it('refuses a start on a day that is not a business-day slot, naming the real one', async () => {
    const judged = await judge('r-sunday', '2026-11-01T05:00:00Z', '2026-11-01T05:00:01Z');
    expect(judged.verdict).toBe('not-a-slot');
    expect(judged.reason).toContain('2026-11-02T05:00:00.000Z');
  });

  it('waits at publish through the quarter close, and through a declared freeze that follows it', async () => {
    const at = (t: string) => new MockActivityEnvironment().run(freezeAtPublish, deps, { runId: 'r-pub', at: t });
    // The close: from Wed 30 Dec 2026 until 00:00 after the third business day of 2027 (Wed 6 Jan).
    expect(await at('2026-12-30T10:00:00Z')).toMatchObject({
      kind: 'wait',
      until: '2027-01-06T23:00:00.000Z',
      freezes: [expect.objectContaining({ name: 'quarter-close' })],
    });
    expect(await at('2027-01-07T08:00:00Z')).toEqual({ kind: 'publish' });
    await declareFreeze(database.db, {
      name: 'january-audit',
      reason: 'The auditors read the January audiences as they are.',
      onPublish: 'wait',
      start: new Date('2027-01-06T23:00:00Z'),
      end: new Date('2027-01-08T12:00:00Z'),
      declaredBy: 'admin-ada',
    });
    expect(await at('2026-12-30T10:00:00Z')).toMatchObject({ kind: 'wait', until: '2027-01-08T12:00:00.000Z' });
  });
});
