import {
  applyDecision,
  eligibleApprovers,
  gateClosed,
  gateResult,
  openGate,
  refusal,
} from '../../src/workflows/approval-rules';
import type { ApprovalPolicy, CohortReport, SnapshotRef, SourceReport, Verdict } from '../../src/shared';

const policy: ApprovalPolicy = {
  approvers: ['ann', 'ben', 'cy', 'eve'],
  deadline: '72h',
  tiers: {
    strategic: { approvers: ['ann', 'ben', 'cy'], approvals: 2 },
    tactical: { approvers: ['ann', 'eve'], approvals: 1 },
  },
};

const snap = (cohortId: string, tier: 'strategic' | 'tactical'): SnapshotRef => ({
  cohortId,
  tier,
  snapshotId: `s-${cohortId}`,
  definitionVersion: 1,
  size: 10,
  contentHash: 'h',
});
const report = (cohortId: string, verdict: Verdict, changedBy: string[] = []): CohortReport => ({
  cohortId,
  snapshotId: `s-${cohortId}`,
  verdict,
  checks: verdict === 'pass' ? [] : [{ name: 'drift', subject: 'plan', verdict, reason: 'PSI 0.3' }],
  changedBy,
});
const source = (verdict: Verdict): SourceReport => ({
  source: 'billing',
  kind: 'billing',
  verdict,
  checks: [],
  filesRead: 1,
  filesSkipped: 0,
  rowsRead: 1,
  stored: 1,
  duplicates: 0,
  quarantined: 0,
});
const AT = '2026-11-23T10:00:00.000Z';

describe('approval rules: what needs a human', () => {
  it.each([
    ['a strategic cohort, all checks passing', 'strategic', 'pass', undefined, 'waiting', 'strategic cohort'],
    [
      'a tactical cohort, all checks passing',
      'tactical',
      'pass',
      undefined,
      'auto',
      'no check flagged; the policy needs no human',
    ],
    ['a tactical cohort whose checks warn', 'tactical', 'warn', undefined, 'waiting', 'checks warn: drift(plan)'],
    ['a tactical cohort whose checks fail', 'tactical', 'fail', undefined, 'waiting', 'checks fail: drift(plan)'],
    [
      'a tactical cohort, checks passing, a source warning',
      'tactical',
      'pass',
      'warn',
      'waiting',
      'source billing warns',
    ],
  ] as const)('%s → %s', (_name, tier, verdict, sourceVerdict, state, reason) => {
    const gate = openGate(
      'run-1',
      'rita',
      policy,
      [snap('c', tier)],
      [report('c', verdict)],
      sourceVerdict ? [source(sourceVerdict)] : [],
    );
    expect(gate.cohorts[0]).toMatchObject({ state, reason });
  });

  it('follows a policy that needs approval only on failures, and always for tactical cohorts', () => {
    const custom: ApprovalPolicy = { ...policy, alwaysFor: ['tactical'], verdicts: ['fail'] };
    const gate = openGate(
      'run-1',
      'rita',
      custom,
      [snap('s-warn', 'strategic'), snap('s-fail', 'strategic'), snap('t-pass', 'tactical')],
      [report('s-warn', 'warn'), report('s-fail', 'fail'), report('t-pass', 'pass')],
      [],
    );
    expect(gate.cohorts.map((c) => [c.cohortId, c.state])).toEqual([
      ['s-warn', 'auto'],
      ['s-fail', 'waiting'],
      ['t-pass', 'waiting'],
    ]);
  });

  it('takes the approvals a cohort needs from its tier, falling back to every approver and one approval', () => {
    const gate = openGate(
      'run-1',
      'rita',
      { approvers: ['ann'], deadline: '1h' },
      [snap('s', 'strategic'), snap('t', 'tactical')],
      [report('s', 'pass'), report('t', 'warn')],
      [],
    );
    expect(gate.cohorts.map((c) => c.approvalsRequired)).toEqual([1, 1]);
    expect(eligibleApprovers(gate)).toEqual(['ann']);
  });
});

describe('approval rules: changed definitions upstream (in_cohort)', () => {
  const withUpstream = (verdict: Verdict): CohortReport => ({
    ...report('paying-pro', verdict),
    upstreamChanges: [{ cohortId: 'paying-customers', authors: ['dana'] }],
  });

  it.each([
    ['checks pass, default policy', policy, 'pass', 'cohorts it refers to changed: paying-customers'],
    ['checks warn', policy, 'warn', 'checks warn: drift(plan)'],
    [
      'checks pass, a policy flagging only failures',
      { ...policy, verdicts: ['fail'] } satisfies ApprovalPolicy,
      'pass',
      'cohorts it refers to changed: paying-customers',
    ],
  ] as const)('a tactical cohort whose upstream changed waits for a human: %s', (_name, p, verdict, reason) => {
    const gate = openGate('run-1', 'rita', p, [snap('paying-pro', 'tactical')], [withUpstream(verdict)], []);
    expect(gate.cohorts[0]).toMatchObject({ state: 'waiting', reason });
  });

  it.each([
    [
      'dana',
      'approve',
      'dana wrote the changed definition of paying-customers (which paying-pro refers to) in this run and cannot decide it (four eyes)',
    ],
    [
      'dana',
      'reject',
      'dana wrote the changed definition of paying-customers (which paying-pro refers to) in this run and cannot decide it (four eyes)',
    ],
    ['eve', 'approve', undefined],
  ] as const)('%s may %s it? %s', (approver, decision, refused) => {
    const gate = openGate('run-1', 'rita', policy, [snap('paying-pro', 'tactical')], [withUpstream('pass')], []);
    expect(refusal(gate, { approver, decision })).toBe(refused);
  });

  it('lists the upstream authors with the excluded and never reminds them', () => {
    const gate = openGate(
      'run-1',
      'rita',
      { ...policy, tiers: { ...policy.tiers, tactical: { approvers: ['dana', 'eve'], approvals: 1 } } },
      [snap('paying-pro', 'tactical')],
      [withUpstream('pass')],
      [],
    );
    expect(eligibleApprovers(gate)).toEqual(['eve']);
  });
});

describe('approval rules: who may decide', () => {
  const open = () =>
    openGate(
      'run-1',
      'rita',
      policy,
      [snap('big', 'strategic'), snap('small', 'tactical')],
      [report('big', 'pass', ['dave']), report('small', 'warn')],
      [],
    );

  it('refuses the requester and every author of a changed definition, for any decision', () => {
    const gate = open();
    expect(refusal(gate, { approver: 'rita', decision: 'reject' })).toBe(
      'rita requested this run and cannot decide it (four eyes)',
    );
    expect(refusal(gate, { approver: 'dave', decision: 'approve', cohorts: ['small'] })).toBe(
      'dave wrote the changed definition of big in this run and cannot decide it (four eyes)',
    );
    expect(eligibleApprovers(gate)).toEqual(['ann', 'ben', 'cy', 'eve']);
  });

  it('lets an approver of one tier decide only that tier', () => {
    const gate = open();
    expect(refusal(gate, { approver: 'eve', decision: 'approve', cohorts: ['small'] })).toBeUndefined();
    expect(refusal(gate, { approver: 'eve', decision: 'approve' })).toBe(
      'eve may not decide big (strategic approvers — strategic: ann, ben, cy)',
    );
    expect(refusal(gate, { approver: 'cy', decision: 'approve', cohorts: ['small'] })).toBe(
      'cy may not decide small (tactical approvers — tactical: ann, eve)',
    );
  });

  it('counts distinct approvers until a strategic cohort has two, then closes', () => {
    const gate = open();
    applyDecision(gate, { approver: 'eve', decision: 'approve', cohorts: ['small'] }, AT, 'update');
    const first = applyDecision(gate, { approver: 'ann', decision: 'approve', cohorts: ['big'] }, AT, 'update');
    expect(first.waiting).toEqual([{ cohortId: 'big', approvalsNeeded: 1 }]);
    expect(refusal(gate, { approver: 'ann', decision: 'approve', cohorts: ['big'] })).toBe(
      'ann already approved big; the next approval must come from someone else',
    );
    expect(gateClosed(gate)).toBe(false);
    applyDecision(gate, { approver: 'ben', decision: 'approve' }, AT, 'signal');
    expect(gateClosed(gate)).toBe(true);
    expect(gateResult(gate, AT)).toMatchObject({
      publish: ['big', 'small'],
      heldBack: [],
      decision: { kind: 'approved', by: 'ann, ben, eve', via: 'signal' },
      approvedBy: { big: 'ann, ben', small: 'eve' },
    });
  });

  it('answers a decision on a settled cohort with what happened to it', () => {
    const gate = open();
    applyDecision(gate, { approver: 'eve', decision: 'reject', cohorts: ['small'], comment: 'not now' }, AT, 'update');
    expect(refusal(gate, { approver: 'ann', decision: 'approve', cohorts: ['small'] })).toBe(
      'small is already held back by eve',
    );
  });

  it('holds back named cohorts but rejects the whole run when none are named', () => {
    const partial = open();
    applyDecision(partial, { approver: 'eve', decision: 'reject', cohorts: ['small'] }, AT, 'update');
    expect(gateClosed(partial)).toBe(false);
    const whole = open();
    applyDecision(whole, { approver: 'ann', decision: 'reject', comment: 'bad data' }, AT, 'update');
    expect(gateClosed(whole)).toBe(true);
    expect(gateResult(whole, AT)).toMatchObject({
      publish: [],
      decision: { kind: 'rejected', by: 'ann', comment: 'bad data' },
    });
  });

  it('records each published cohort with its own approvers, and policy for those that needed none', () => {
    const gate = openGate(
      'run-1',
      'rita',
      policy,
      [snap('big', 'strategic'), snap('quiet', 'tactical')],
      [report('big', 'pass'), report('quiet', 'pass')],
      [],
    );
    applyDecision(gate, { approver: 'ann', decision: 'approve' }, AT, 'update');
    applyDecision(gate, { approver: 'cy', decision: 'approve' }, AT, 'update');
    expect(gateResult(gate, AT)).toMatchObject({
      publish: ['big', 'quiet'],
      approvedBy: { big: 'ann, cy', quiet: 'policy' },
    });
  });

  it('rejects the run when every waiting cohort is held back and nothing passed by policy', () => {
    const gate = openGate('run-1', 'rita', policy, [snap('big', 'strategic')], [report('big', 'pass')], []);
    applyDecision(gate, { approver: 'ann', decision: 'reject', cohorts: ['big'], comment: 'no' }, AT, 'update');
    expect(gateResult(gate, AT)).toMatchObject({
      publish: [],
      heldBack: ['big'],
      decision: { kind: 'rejected', by: 'ann' },
    });
  });
});
