import fs from 'node:fs';
import path from 'node:path';
import { eventually, TOKENS } from '../support/system';
import { MORE_TOKENS, useSecuritySystem } from './attacker';

// Four eyes through in_cohort: an analyst who is also an approver narrows the strategic
// paying-customers; a tactical run then recomputes paying-pro (which refers to it) and she tries
// to approve it herself. She is refused, and paying-pro waits for a human though its own
// definition did not change.

// A second refresh of the same files reads no new rows; this deployment does not fail that.
const QUIET_MONTHS_ALLOWED = `sources:
${['product', 'crm', 'billing', 'support'].map((kind) => `  - { name: ${kind}, kind: ${kind}, checks: { volumeWarnPct: 101, volumeFailPct: 102 } }`).join('\n')}
`;
const { sys, statusOf, audited } = useSecuritySystem({ watchWindow: '0s', sourcesYaml: QUIET_MONTHS_ALLOWED });

describe('four eyes through in_cohort', () => {
  it('keeps the author of an upstream change from approving the cohorts that refer to it', async () => {
    // The catalog published once, approved by someone else.
    const first = await sys.h.call('POST', '/refreshes', TOKENS.operator, { tier: 'all', rationale: 'first publish' });
    const firstId = first.body.workflowId as string;
    await eventually(
      () => statusOf(firstId),
      (s) => s.stage === 'awaiting-approval',
      'the first gate',
    );
    await sys.h.call('POST', `/refreshes/${firstId}/approve`, TOKENS.approver, { comment: 'first publish' });
    const published = await eventually(
      () => statusOf(firstId),
      (s) => s.stage === 'done',
      'the first publish',
    );
    expect(published.outcome).toBe('published');

    // dana narrows paying-customers (her change is recorded under her name).
    const file = path.join(sys.catalogDir, 'paying-customers.yaml');
    const narrowed = fs
      .readFileSync(file, 'utf8')
      .replace('- trait: { name: plan, in: [pro, enterprise] }', '- trait: { name: plan, in: [enterprise] }');
    const applied = await sys.h.call('PUT' as 'POST', '/cohorts/paying-customers', MORE_TOKENS.dana, {
      yaml: narrowed,
      rationale: 'only enterprise customers count as paying from now on',
    });
    expect(applied.status).toBe(201);

    const second = await sys.h.call('POST', '/refreshes', TOKENS.operator, {
      tier: 'tactical',
      rationale: 'monthly tactical refresh',
    });
    const id = second.body.workflowId as string;
    const waiting = await eventually(
      () => statusOf(id),
      (s) => s.stage === 'awaiting-approval' || s.stage === 'done',
      'the tactical gate',
    );
    expect(waiting.stage).toBe('awaiting-approval');
    const payingPro = waiting.approval!.cohorts.find((c) => c.cohortId === 'paying-pro')!;
    expect(payingPro.state).toBe('waiting');
    expect(waiting.reports.find((r) => r.cohortId === 'paying-pro')?.upstreamChanges).toEqual([
      { cohortId: 'paying-customers', authors: ['dana'] },
    ]);
    expect(waiting.approval!.excluded).toEqual(expect.arrayContaining(['olivia', 'dana']));
    expect(waiting.approval!.approvers).not.toContain('dana');

    const refused = await sys.h.call('POST', `/refreshes/${id}/approve`, MORE_TOKENS.dana, {
      cohorts: ['paying-pro'],
      comment: 'looks fine to me',
    });
    expect(refused).toMatchObject({
      status: 409,
      body: {
        error: 'decision_refused',
        message:
          'dana wrote the changed definition of paying-customers (which at-risk-paid, failed-payment-risk, paying-pro refer to) in this run and cannot decide it (four eyes)',
      },
    });
    // Through the Temporal frontend with a proof the API gave her: refused all the same.
    const proof = await sys.h.call('POST', `/refreshes/${id}/proofs`, MORE_TOKENS.dana, {
      action: 'approve',
      cohorts: ['paying-pro'],
    });
    const viaFrontend = await sys.temporal.client.workflow
      .getHandle(id)
      .executeUpdate('decide', { args: [proof.body.input] })
      .then(
        () => 'accepted',
        (err: Error) => (err.cause as Error).message,
      );
    expect(viaFrontend).toMatch(/^dana wrote the changed definition of paying-customers/);
    const after = await statusOf(id);
    expect(after.approval!.cohorts.find((c) => c.cohortId === 'paying-pro')).toMatchObject({
      state: 'waiting',
      approvals: [],
    });
    expect((await audited(id)).filter((e) => e.action === 'decision.approved')).toEqual([]);
  });
});
