import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureSchedules, SCHEDULES } from '../../src/temporal/schedules';
import { Cadence } from '../../src/workflows/search-attributes';
import { devServerEnv } from '../support/temporal';
import { checkProof } from '../../src/governance/decision-proof';
import { generateSigningKeyPem, keyringEntryOf, keyringFrom, signingKeyFrom } from '../../src/governance/proof-keys';
import { refreshStartExpectation } from '../../src/workflows/proof-rules';
import type { RefreshInput } from '../../src/shared';
import { eventually } from '../support/system';

describe('refresh schedules', () => {
  let env: TestWorkflowEnvironment;
  const oldKey = signingKeyFrom(generateSigningKeyPem());
  const newKey = signingKeyFrom(generateSigningKeyPem());

  beforeAll(async () => {
    env = await devServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('creates the monthly and quarterly schedules; a second start re-signs them with the current key, and no policy', async () => {
    await ensureSchedules(env.client, 'schedules-test', oldKey);
    await ensureSchedules(env.client, 'schedules-test', newKey);
    const ids: string[] = [];
    for await (const s of env.client.schedule.list()) ids.push(s.scheduleId);
    expect(ids.sort()).toEqual(['cohortflow-monthly', 'cohortflow-quarterly']);
    const monthly = await env.client.schedule.getHandle('cohortflow-monthly').describe();
    const input = (monthly.action as { args?: RefreshInput[] }).args![0]!;
    expect(input).toMatchObject({ requestedBy: 'schedule:cohortflow-monthly', tier: 'tactical' });
    expect(input).not.toHaveProperty('policy');
    // The proof covers any run of the schedule with this input, signed by the key of the last start only.
    const expected = refreshStartExpectation(input, 'refresh-monthly-2026-03-01T06:00:00Z');
    expect(checkProof(keyringFrom(keyringEntryOf(newKey)), input.requestProof, expected)).toMatchObject({
      valid: true,
    });
    expect(checkProof(keyringFrom(keyringEntryOf(oldKey)), input.requestProof, expected)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/which this worker does not trust/),
    });
    expect(
      checkProof(keyringFrom(keyringEntryOf(newKey)), input.requestProof, {
        ...expected,
        workflowId: 'refresh-adhoc-1',
      }),
    ).toMatchObject({ valid: false, reason: 'its proof is for refresh-monthly-*, not refresh-adhoc-1' });
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
