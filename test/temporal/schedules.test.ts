import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { msToNumber } from '@temporalio/common/lib/time';
import { dayKind } from '../../src/calendar/business-calendar';
import { loadCalendars } from '../../src/calendar/calendar-folder';
import { localDateTime } from '../../src/calendar/zoned-time';
import { checkProof } from '../../src/governance/decision-proof';
import { generateSigningKeyPem, keyringEntryOf, keyringFrom, signingKeyFrom } from '../../src/governance/proof-keys';
import type { RefreshInput } from '../../src/shared';
import { FreezeExists, scheduleControl, UnknownSchedule } from '../../src/temporal/schedule-control';
import { ensureSchedules } from '../../src/temporal/schedules';
import { refreshStartExpectation } from '../../src/workflows/proof-rules';
import { Cadence } from '../../src/workflows/search-attributes';
import type { FastifyInstance } from 'fastify';
import { createApi } from '../../src/api/server';
import { createLogger } from '../../src/log';
import { RefreshClient } from '../../src/temporal/refresh-client';
import { freshDatabase, type TestDatabase } from '../support/db';
import { eventually } from '../support/system';
import { devServerEnv } from '../support/temporal';

// The schedules themselves need the dev server: the time-skipping server has no schedules.

const SCHEDULES_FILE = `
schedules:
  - id: cohortflow-monthly
    cadence: monthly
    tier: tactical
    rationale: monthly refresh of tactical cohorts
    when: { every: month, businessDay: 1, at: '06:00', calendar: de }
  - id: cohortflow-quarterly
    cadence: quarterly
    tier: strategic
    rationale: quarterly refresh of strategic cohorts
    when: { every: quarter, businessDay: -1, at: '18:00', calendar: us }
freezes:
  - name: peak-sales
    reason: Black Friday to Christmas; campaigns are locked.
    timeZone: Europe/Berlin
    onPublish: skip
    yearly: { from: '11-20T00:00', until: '12-27T00:00' }
`;

describe('refresh schedules', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let settings: { schedulesFile: string; calendarsDir: string };
  const oldKey = signingKeyFrom(generateSigningKeyPem());
  const newKey = signingKeyFrom(generateSigningKeyPem());
  const calendarsDir = path.join(__dirname, '../../calendars');

  beforeAll(async () => {
    env = await devServerEnv();
    database = await freshDatabase('schedules');
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'schedules-'));
    settings = { schedulesFile: path.join(dir, 'schedules.yaml'), calendarsDir };
    await fs.writeFile(settings.schedulesFile, SCHEDULES_FILE);
    await ensureSchedules(env.client, 'schedules-test', oldKey, settings);
    await ensureSchedules(env.client, 'schedules-test', newKey, settings);
  });
  afterAll(async () => {
    await env?.teardown();
    await database?.drop();
  });

  const describeSchedule = (id: string) => env.client.schedule.getHandle(id).describe();

  it('creates the schedules of the schedules file; a second start re-signs them with the current key, and no policy', async () => {
    const ids: string[] = [];
    for await (const s of env.client.schedule.list()) ids.push(s.scheduleId);
    expect(ids.sort()).toEqual(['cohortflow-monthly', 'cohortflow-quarterly']);
    const monthly = await describeSchedule('cohortflow-monthly');
    const input = (monthly.action as { args?: RefreshInput[] }).args![0]!;
    expect(input).toMatchObject({ requestedBy: 'schedule:cohortflow-monthly', tier: 'tactical' });
    expect(input).not.toHaveProperty('policy');
    // The proof covers any run of the schedule with this input, signed by the key of the last start only.
    const expected = refreshStartExpectation(input, 'refresh-monthly-2026-03-02T05:00:00Z');
    expect(checkProof(keyringFrom(keyringEntryOf(newKey)), input.requestProof, expected)).toMatchObject({
      valid: true,
    });
    expect(checkProof(keyringFrom(keyringEntryOf(oldKey)), input.requestProof, expected)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/which this worker does not trust/),
    });
  });

  it('fires on the first business day of each month at 06:00 Berlin, skipping weekends and holidays', async () => {
    const de = (await loadCalendars(calendarsDir)).get('de')!;
    const next = (await describeSchedule('cohortflow-monthly')).info.nextActionTimes;
    expect(next.length).toBeGreaterThanOrEqual(3);
    const months = new Set<number>();
    for (const t of next) {
      const local = localDateTime(t, 'Europe/Berlin');
      expect([local.hour, local.minute]).toEqual([6, 0]);
      expect(dayKind(de, local.toPlainDate())).toEqual({ business: true });
      // Every day of the month before it is a weekend day or a holiday.
      for (let d = local.toPlainDate().with({ day: 1 }); d.day < local.day; d = d.add({ days: 1 }))
        expect(dayKind(de, d).business).toBe(false);
      months.add(local.month);
    }
    expect(months.size).toBe(next.length);
  });

  it('fires on the last business day of each quarter at 18:00 New York, on the US calendar', async () => {
    const us = (await loadCalendars(calendarsDir)).get('us')!;
    const next = (await describeSchedule('cohortflow-quarterly')).info.nextActionTimes;
    expect(next.length).toBeGreaterThanOrEqual(2);
    for (const t of next) {
      const local = localDateTime(t, 'America/New_York');
      expect([local.hour, local.minute, [3, 6, 9, 12].includes(local.month)]).toEqual([18, 0, true]);
      expect(dayKind(us, local.toPlainDate())).toEqual({ business: true });
      for (let d = local.toPlainDate().add({ days: 1 }); d.month === local.month; d = d.add({ days: 1 }))
        expect(dayKind(us, d).business).toBe(false);
    }
  });

  it('lets Temporal start missed slots for just over one period after downtime, and skips a slot while a run of the schedule is open', async () => {
    const { policies } = await describeSchedule('cohortflow-monthly');
    expect(policies.overlap).toBe('SKIP');
    expect(policies.catchupWindow).toBe(msToNumber('35 days'));
    expect((await describeSchedule('cohortflow-quarterly')).policies.catchupWindow).toBe(msToNumber('95 days'));
  });

  it('pauses and resumes a schedule with the reason in its note and the audit log', async () => {
    const control = scheduleControl({ client: env.client, db: database.db, calendar: settings });
    const paused = await control.pause('cohortflow-monthly', 'source system migration this week', 'ops-olga');
    expect(paused).toMatchObject({ paused: true, note: 'paused by ops-olga: source system migration this week' });
    expect((await describeSchedule('cohortflow-monthly')).state.paused).toBe(true);
    const resumed = await control.resume('cohortflow-monthly', 'migration done', 'ops-olga');
    expect(resumed).toMatchObject({ paused: false, note: 'resumed by ops-olga: migration done' });
    const audit = await database.db.query<{ actor: string; action: string; details: { reason: string } }>(
      `SELECT actor, action, details FROM audit_log WHERE action LIKE 'schedules.%' ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      {
        actor: 'ops-olga',
        action: 'schedules.pause',
        details: expect.objectContaining({ reason: 'source system migration this week' }),
      },
      { actor: 'ops-olga', action: 'schedules.resume', details: expect.objectContaining({ reason: 'migration done' }) },
    ]);
    await expect(control.pause('cohortflow-weekly', 'no such schedule', 'ops-olga')).rejects.toThrow(UnknownSchedule);
  });

  it('lists the schedules with their next runs and the freezes ahead, declared ones included', async () => {
    const control = scheduleControl({ client: env.client, db: database.db, calendar: settings });
    const from = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 86_400_000);
    const until = new Date(from.getTime() + 3 * 86_400_000);
    const declared = await control.freeze({
      name: 'crm-migration',
      reason: 'The CRM moves to its new system and accepts no audience changes.',
      onPublish: 'wait',
      from,
      until,
      by: 'admin-ada',
    });
    expect(declared).toMatchObject({ name: 'crm-migration', source: 'declared', from: from.toISOString() });
    await expect(
      control.freeze({
        name: 'crm-migration',
        reason: 'again, the same name',
        onPublish: 'skip',
        from,
        until,
        by: 'admin-ada',
      }),
    ).rejects.toThrow(FreezeExists);
    const { schedules, freezes } = await control.list();
    expect(schedules.map((s) => [s.id, s.paused, s.nextRuns.length])).toEqual([
      ['cohortflow-monthly', false, 3],
      ['cohortflow-quarterly', false, 3],
    ]);
    expect(schedules[0]!.when).toBe('the 1st business day of each month at 06:00 Europe/Berlin (calendar de)');
    expect(freezes).toContainEqual(expect.objectContaining({ name: 'crm-migration', source: 'declared' }));
    expect(freezes).toContainEqual(expect.objectContaining({ name: 'peak-sales', source: 'file', onPublish: 'skip' }));
    const audited = await database.db.query(`SELECT actor FROM audit_log WHERE action = 'schedules.freeze'`);
    expect(audited.rows).toEqual([{ actor: 'admin-ada' }]);
  });

  it("starts a refresh of the schedule's tier when triggered", async () => {
    await env.client.schedule.getHandle('cohortflow-monthly').trigger();
    const described = await eventually(
      () => describeSchedule('cohortflow-monthly'),
      (d) => d.info.recentActions.length > 0,
      'the triggered action',
    );
    const started = described.info.recentActions[0]!.action;
    const execution = await env.client.workflow
      .getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId)
      .describe();
    expect(execution.type).toBe('refreshCycle');
    expect(execution.workflowId).toMatch(/^refresh-monthly-/);
    expect(execution.typedSearchAttributes.get(Cadence)).toBe('monthly');
    await env.client.workflow.getHandle(started.workflow.workflowId).terminate('test over');
  });

  describe('through the HTTP API', () => {
    const TOKENS = { admin: 'a'.repeat(24), operator: 'o'.repeat(24), viewer: 'v'.repeat(24) };
    let api: FastifyInstance;
    beforeAll(async () => {
      api = createApi({
        refreshes: new RefreshClient(env.client, 'schedules-test', newKey),
        cohorts: { db: database.db, catalogDir: '/nonexistent' },
        tokens: {
          [TOKENS.admin]: { user: 'admin-ada', roles: ['admin'] },
          [TOKENS.operator]: { user: 'ops-olga', roles: ['operator'] },
          [TOKENS.viewer]: { user: 'vic', roles: ['viewer'] },
        },
        log: createLogger('silent'),
        schedules: scheduleControl({ client: env.client, db: database.db, calendar: settings }),
      });
      await api.ready();
    });
    afterAll(async () => {
      await api?.close();
    });
    const call = async (method: 'GET' | 'POST', url: string, token: string, body?: object) => {
      const r = await api.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload: body });
      return { status: r.statusCode, body: r.json() };
    };

    it('lists the schedules for an operator, not for a viewer', async () => {
      expect(await call('GET', '/schedules', TOKENS.operator)).toMatchObject({
        status: 200,
        body: { schedules: [{ id: 'cohortflow-monthly' }, { id: 'cohortflow-quarterly' }] },
      });
      expect((await call('GET', '/schedules', TOKENS.viewer)).status).toBe(403);
    });

    it('lets only an admin pause, with a reason, and says which schedule does not exist', async () => {
      const url = '/schedules/cohortflow-quarterly/pause';
      expect(await call('POST', url, TOKENS.operator, { reason: 'not mine to pause' })).toMatchObject({
        status: 403,
        body: { message: 'ops-olga lacks the admin role' },
      });
      expect(await call('POST', url, TOKENS.admin, {})).toMatchObject({
        status: 400,
        body: { issues: [{ path: 'reason' }] },
      });
      expect((await describeSchedule('cohortflow-quarterly')).state.paused).toBe(false);
      expect(await call('POST', url, TOKENS.admin, { reason: 'year-end review' })).toMatchObject({
        status: 200,
        body: { id: 'cohortflow-quarterly', paused: true, note: 'paused by admin-ada: year-end review' },
      });
      expect(
        await call('POST', '/schedules/cohortflow-weekly/resume', TOKENS.admin, { reason: 'a typo in the id' }),
      ).toMatchObject({
        status: 404,
        body: { message: expect.stringContaining('no schedule cohortflow-weekly') },
      });
      await call('POST', '/schedules/cohortflow-quarterly/resume', TOKENS.admin, { reason: 'review done' });
    });

    it('refuses a freeze that ends before it starts or is not on a whole minute, naming the field', async () => {
      const base = { name: 'bad-freeze', reason: 'A freeze with a problem in it.' };
      expect(
        await call('POST', '/schedules/freezes', TOKENS.admin, {
          ...base,
          from: '2030-01-02T00:00:00Z',
          until: '2030-01-01T00:00:00Z',
        }),
      ).toMatchObject({ status: 400, body: { issues: [{ path: 'until', message: 'must be after from' }] } });
      expect(
        await call('POST', '/schedules/freezes', TOKENS.admin, {
          ...base,
          from: '2030-01-01T00:00:30Z',
          until: '2030-01-02T00:00:00Z',
        }),
      ).toMatchObject({ status: 400, body: { issues: [{ path: 'from', message: 'a time on a whole minute' }] } });
      const ok = { ...base, name: 'year-end', from: '2030-12-30T00:00:00+01:00', until: '2031-01-02T00:00:00+01:00' };
      expect(await call('POST', '/schedules/freezes', TOKENS.admin, ok)).toMatchObject({
        status: 201,
        body: { name: 'year-end', onPublish: 'wait', from: '2030-12-29T23:00:00.000Z' },
      });
      expect((await call('POST', '/schedules/freezes', TOKENS.admin, ok)).status).toBe(409);
    });
  });
});
