import { rollbackRefusal, rollbackTargets, type WatchState } from '../../src/workflows/rollback-rules';
import type { ApprovalPolicy, RollbackInput, RollbackRecord } from '../../src/shared';

const policy: ApprovalPolicy = {
  approvers: ['ann', 'eve'],
  deadline: '72h',
  tiers: {
    strategic: { approvers: ['ann'], approvals: 2 },
    tactical: { approvers: ['ann', 'eve'], approvals: 1 },
  },
};

const rolledBack = (cohorts: string[], n = 1): RollbackRecord => ({
  rollbackId: `run-1:rollback:${n}`,
  by: 'eve',
  reason: 'bad data',
  at: '2026-11-23T10:00:00.000Z',
  via: 'update',
  cohorts,
  versions: [],
  deliveries: [],
});

/** A run that published a strategic and a tactical cohort and is inside its window. */
const watching = (overrides: Partial<WatchState> = {}): WatchState => ({
  runId: 'run-1',
  policy,
  published: [
    { cohortId: 'high-value', tier: 'strategic' },
    { cohortId: 'at-risk', tier: 'tactical' },
  ],
  open: true,
  closesAt: '2026-11-30T10:00:00.000Z',
  rollbacks: [],
  ...overrides,
});

const request = (overrides: Partial<RollbackInput> = {}): RollbackInput => ({
  requestedBy: 'ann',
  reason: 'churn spike after publish',
  ...overrides,
});

describe('rollback rules: what a rollback covers', () => {
  it.each([
    ['every published cohort when none is named', watching(), request(), ['high-value', 'at-risk']],
    ['the named cohorts, once each', watching(), request({ cohorts: ['at-risk', 'at-risk'] }), ['at-risk']],
    [
      'only what was not rolled back yet when none is named',
      watching({ rollbacks: [rolledBack(['at-risk'])] }),
      request(),
      ['high-value'],
    ],
  ])('%s', (_case, state, r, targets) => {
    expect(rollbackTargets(state, r)).toEqual(targets);
  });
});

describe('rollback rules: who may roll back what, and when', () => {
  it.each([
    ['an approver of every tier involved, inside the window', watching(), request(), undefined],
    [
      'an approver of the tactical tier, for a tactical cohort',
      watching(),
      request({ requestedBy: 'eve', cohorts: ['at-risk'] }),
      undefined,
    ],
    ['a request without a requester', watching(), request({ requestedBy: ' ' }), 'a rollback names who requests it'],
    ['a request without a reason', watching(), request({ reason: '' }), 'a rollback needs a reason'],
    [
      'cohorts that are not a list of ids',
      watching(),
      request({ cohorts: 'at-risk' as unknown as string[] }),
      'cohorts must be a list of cohort ids',
    ],
    [
      'a run that published nothing',
      watching({ published: [] }),
      request(),
      'run run-1 has published nothing to roll back',
    ],
    [
      'a run whose window has closed',
      watching({ open: false }),
      request(),
      "the run's watch window closed at 2026-11-30T10:00:00.000Z; restore an earlier version with `cohortflow cohorts rollback <cohort> --to <version>`",
    ],
    [
      'a cohort the run did not publish',
      watching(),
      request({ cohorts: ['power-users'] }),
      'not published by run run-1: power-users (it published: high-value, at-risk)',
    ],
    [
      'a cohort already rolled back by this run',
      watching({ rollbacks: [rolledBack(['at-risk'])] }),
      request({ cohorts: ['at-risk'] }),
      'already rolled back: at-risk by eve at 2026-11-23T10:00:00.000Z (run-1:rollback:1); nothing changed',
    ],
    [
      'a run-wide rollback once every cohort is rolled back',
      watching({ rollbacks: [rolledBack(['at-risk']), rolledBack(['high-value'], 2)] }),
      request(),
      'already rolled back: at-risk by eve at 2026-11-23T10:00:00.000Z (run-1:rollback:1); high-value by eve at 2026-11-23T10:00:00.000Z (run-1:rollback:2); nothing changed',
    ],
    [
      'someone who may approve only some of the tiers involved, naming the others',
      watching(),
      request({ requestedBy: 'eve' }),
      'eve may not roll back strategic cohorts (rollback needs an approver of the tier — strategic: ann)',
    ],
  ])('%s', (_case, state, r, refusal) => {
    expect(rollbackRefusal(state, r)).toBe(refusal);
  });
});
