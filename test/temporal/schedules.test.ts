import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureSchedules, SCHEDULES } from '../../src/temporal/schedules';
import { Cadence } from '../../src/workflows/search-attributes';
import { devServerEnv } from '../support/temporal';
import type { ApprovalPolicy } from '../../src/shared';
import { eventually } from '../support/system';

describe('refresh schedules', () => {
  let env: TestWorkflowEnvironment;
  const policy: ApprovalPolicy = { approvers: ['arthur'], deadline: '72h' };

  beforeAll(async () => {
    env = await devServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('creates the monthly and quarterly schedules, and a second start only updates them', async () => {
    await ensureSchedules(env.client, 'schedules-test', policy);
    await ensureSchedules(env.client, 'schedules-test', { ...policy, approvers: ['arthur', 'beth'] });
    const ids: string[] = [];
    for await (const s of env.client.schedule.list()) ids.push(s.scheduleId);
    expect(ids.sort()).toEqual(['cohortflow-monthly', 'cohortflow-quarterly']);
    const monthly = await env.client.schedule.getHandle('cohortflow-monthly').describe();
    const input = (monthly.action as { args?: Array<{ policy: { approvers: string[] } }> }).args?.[0];
    expect(input?.policy.approvers).toEqual(['arthur', 'beth']);
  });

  it('runs tactical refreshes on the 1st of every month at 06:00 UTC', async () => {
    const next = (await env.client.schedule.getHandle('cohortflow-monthly').describe()).info.nextActionTimes;
    expect(next.length).toBeGreaterThanOrEqual(3);
    const months = new Set<number>();
    for (const t of next) {
      expect([t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes()]).toEqual([1, 6, 0]);
      months.add(t.getUTCMonth());
    }
    expect(months.size).toBe(next.length);
  });

  it('runs strategic refreshes on the 1st of each quarter', async () => {
    const next = (await env.client.schedule.getHandle('cohortflow-quarterly').describe()).info.nextActionTimes;
    expect(next.length).toBeGreaterThanOrEqual(2);
    for (const t of next) {
      expect([t.getUTCDate(), t.getUTCHours()]).toEqual([1, 6]);
      expect([0, 3, 6, 9]).toContain(t.getUTCMonth());
    }
  });

  it("starts a refresh of the schedule's tier when triggered", async () => {
    const monthly = SCHEDULES.find((s) => s.id === 'cohortflow-monthly')!;
    await env.client.schedule.getHandle(monthly.id).trigger();
    const described = await eventually(
      () => env.client.schedule.getHandle(monthly.id).describe(),
      (d) => d.info.recentActions.length > 0,
      'the triggered action',
    );
    const started = described.info.recentActions[0]!.action;
    const execution = await env.client.workflow
      .getHandle(started.workflow.workflowId, started.workflow.firstExecutionRunId)
      .describe();
    expect(execution.type).toBe('refreshCycle');
    expect(execution.workflowId).toMatch(/^refresh-monthly/);
    expect(execution.typedSearchAttributes.get(Cadence)).toBe('monthly');
    await env.client.workflow.getHandle(started.workflow.workflowId).terminate('test over');
  });
});
