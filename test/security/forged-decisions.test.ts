import { generateSigningKeyPem, signingKeyFrom } from '../../src/governance/proof-keys';
import { signedDecision } from '../../src/temporal/signed-messages';
import type { CohortRollbackStatus } from '../../src/shared';
import { eventually, TOKENS } from '../support/system';
import { MORE_TOKENS, useSecuritySystem } from './attacker';

// Every door that changes what is published, played by someone who reaches the Temporal
// frontend (here: the `temporal` CLI against the dev server) and names other people. Each is
// refused: an Update with the reason, a signal ignored and audited, a start stopped before ingest.

const { sys, temporalCli, pasted, statusOf, audited } = useSecuritySystem({ watchWindow: '1h' });
let run: string;
const json = (value: unknown) => JSON.stringify(value);
/** `temporal workflow update execute --workflow-id <id> --name <name> --input <json>`. */
const updateAsCli = (workflowId: string, name: string, input: unknown) =>
  temporalCli('workflow', 'update', 'execute', '--workflow-id', workflowId, '--name', name, '--input', json(input));

describe('forged decisions at the Temporal frontend', () => {
  beforeAll(async () => {
    const started = await sys.h.call('POST', '/refreshes', TOKENS.operator, {
      tier: 'all',
      rationale: 'security check',
    });
    expect(started.status).toBe(202);
    run = started.body.workflowId as string;
    await eventually(
      () => statusOf(run),
      (s) => s.stage === 'awaiting-approval',
      'the approval gate',
    );
  });

  it('ignores and audits an approve signal that names two approvers without proof: nothing is decided', async () => {
    for (const approver of ['arthur', 'carol']) {
      const sent = await temporalCli(
        'workflow',
        'signal',
        '--workflow-id',
        run,
        '--name',
        'approve',
        '--input',
        json({ approver }),
      );
      expect(sent.code).toBe(0); // a signal has no answer: the run records what it did with it
    }
    const s = await eventually(
      () => statusOf(run),
      (x) => x.ignored.length >= 2,
      'the ignored signals',
    );
    expect(s.ignored).toEqual([
      expect.objectContaining({
        name: 'approve',
        from: 'arthur (unproven)',
        reason: expect.stringMatching(/^unproven decision: it carries no proof/),
      }),
      expect.objectContaining({
        name: 'approve',
        from: 'carol (unproven)',
        reason: expect.stringMatching(/^unproven decision: it carries no proof/),
      }),
    ]);
    expect(s.decisions ?? []).toEqual([]);
    expect(s.approval?.cohorts.every((c) => c.approvals.length === 0)).toBe(true);
    const ignored = (await audited(run)).filter((e) => e.action === 'decision.ignored');
    expect(ignored.map((e) => [e.actor, e.details.claimedBy])).toEqual([
      ['unproven', 'arthur'],
      ['unproven', 'carol'],
    ]);
  });

  it('refuses a decide Update that names another approver without proof, with the reason', async () => {
    const sent = await updateAsCli(run, 'decide', { approver: 'carol', decision: 'approve' });
    expect(sent.code).not.toBe(0);
    expect(sent.out).toMatch(/the decision carries no proof that carol sent it/);
    expect((await statusOf(run)).decisions ?? []).toEqual([]);
  });

  it('refuses and audits a decision whose proof the attacker signed with a key of their own', async () => {
    const own = signingKeyFrom(generateSigningKeyPem());
    const waiting = (await statusOf(run)).approval!.cohorts.filter((c) => c.state === 'waiting').map((c) => c.cohortId);
    const forged = signedDecision(own, run, waiting, { approver: 'carol', decision: 'approve', runId: run }).message;
    const sent = await updateAsCli(run, 'decide', forged);
    expect(sent.code).not.toBe(0);
    expect(sent.out).toMatch(
      /unproven decision: its proof was signed with key ed25519-\w+, which this worker does not trust/,
    );
    expect(await audited(run)).toContainEqual(
      expect.objectContaining({
        action: 'decision.unproven',
        actor: 'unproven',
        details: expect.objectContaining({ claimedBy: 'carol' }),
      }),
    );
  });

  it("refuses a real approver's proof sent as someone else, or for another decision", async () => {
    const proof = await sys.h.call('POST', `/refreshes/${run}/proofs`, TOKENS.approver, {
      action: 'reject',
      comment: 'hold it',
    });
    expect(proof.status).toBe(200);
    const message = proof.body.input as Record<string, unknown>;
    expect(message).toMatchObject({ approver: 'arthur', decision: 'reject', comment: 'hold it' });
    for (const [change, reason] of [
      [{ approver: 'carol' }, /its proof was issued to arthur, but the message names carol/],
      [{ decision: 'approve' }, /its proof is for reject, but the message is approve/],
      [{ comment: 'fine' }, /its comment or reason differs/],
    ] as const) {
      const sent = await updateAsCli(run, 'decide', { ...message, ...change });
      expect(sent.code).not.toBe(0);
      expect(sent.out).toMatch(reason);
    }
    expect((await statusOf(run)).decisions ?? []).toEqual([]);
  });

  it('gives no proof to approve to someone without the approver role (the requester)', async () => {
    const asked = await sys.h.call('POST', `/refreshes/${run}/proofs`, TOKENS.operator, { action: 'approve' });
    expect(asked).toMatchObject({
      status: 403,
      body: { error: 'forbidden', message: 'olivia lacks the approver role' },
    });
  });

  it('stops a start whose input carries a forged policy before ingest, audited, nothing published', async () => {
    const id = 'refresh-adhoc-forged-policy';
    const input = {
      cadence: 'adhoc',
      tier: 'all',
      requestedBy: 'olivia',
      rationale: 'publish everything',
      policy: { approvers: [], deadline: '72h', alwaysFor: [], verdicts: [] },
    };
    const sent = await temporalCli(
      'workflow',
      'start',
      '--type',
      'refreshCycle',
      '--task-queue',
      sys.taskQueue,
      '--workflow-id',
      id,
      '--input',
      json(input),
    );
    expect(sent.code).toBe(0);
    const s = await eventually(
      () => statusOf(id),
      (x) => x.stage === 'done',
      'the refused run',
    );
    expect(s).toMatchObject({
      outcome: 'failed',
      requestedBy: 'olivia (unproven)',
      failure: expect.stringMatching(/^start refused before ingest — forged policy: /),
      cohorts: [],
    });
    expect(s.ingest).toBeUndefined();
    expect(await audited(id)).toContainEqual(expect.objectContaining({ action: 'run.refused', actor: 'unproven' }));
    expect(sys.h.receiver.received.filter((d) => d.body.data.runId === id)).toEqual([]);
  });

  it("stops a start that names someone else without proof, and one that reuses a schedule's proof under another id", async () => {
    const plain = await temporalCli(
      'workflow',
      'start',
      '--type',
      'refreshCycle',
      '--task-queue',
      sys.taskQueue,
      '--workflow-id',
      'refresh-adhoc-no-proof',
      '--input',
      json({ cadence: 'adhoc', tier: 'all', requestedBy: 'arthur', rationale: 'as arthur' }),
    );
    expect(plain.code).toBe(0);
    const monthly = await sys.temporal.client.schedule.getHandle('cohortflow-monthly').describe();
    const copied = (monthly.action as { args: unknown[] }).args[0];
    const reused = await temporalCli(
      'workflow',
      'start',
      '--type',
      'refreshCycle',
      '--task-queue',
      sys.taskQueue,
      '--workflow-id',
      'refresh-adhoc-copied',
      '--input',
      json(copied),
    );
    expect(reused.code).toBe(0);
    for (const [id, reason] of [
      ['refresh-adhoc-no-proof', /unproven start: it carries no proof/],
      ['refresh-adhoc-copied', /unproven start: its proof is for refresh-monthly-\*, not refresh-adhoc-copied/],
    ] as const) {
      const s = await eventually(
        () => statusOf(id),
        (x) => x.stage === 'done',
        `the refused run ${id}`,
      );
      expect(s).toMatchObject({ outcome: 'failed', failure: expect.stringMatching(reason), cohorts: [] });
    }
  });

  describe('after an approved publish', () => {
    beforeAll(async () => {
      // The way an approver decides with the temporal CLI: the API prints the proven message.
      const proof = await sys.h.call('POST', `/refreshes/${run}/proofs`, TOKENS.approver, {
        action: 'approve',
        comment: "fine, it's what we expected",
      });
      const command = (proof.body.commands as { update: string }).update;
      expect(command).toMatch(/^temporal workflow update execute --workflow-id '/);
      const decided = await pasted(command);
      expect(decided).toMatchObject({ code: 0, out: expect.stringMatching(/approved/) });
      // Pasted again, it changes nothing: refused with the reason.
      expect((await pasted(command)).code).not.toBe(0);
      const left = (await statusOf(run)).approval!.cohorts.filter((c) => c.state === 'waiting');
      if (left.length > 0)
        expect((await sys.h.call('POST', `/refreshes/${run}/approve`, MORE_TOKENS.carol, {})).status).toBe(200);
      await eventually(
        () => statusOf(run),
        (s) => s.stage === 'watching',
        'the watch window',
      );
    });

    it('refuses a rollback Update naming an approver without proof, and ignores and audits the signal', async () => {
      const update = await updateAsCli(run, 'rollback', { requestedBy: 'arthur', reason: 'as arthur' });
      expect(update.code).not.toBe(0);
      expect(update.out).toMatch(/the rollback carries no proof that arthur asked for it/);
      await temporalCli(
        'workflow',
        'signal',
        '--workflow-id',
        run,
        '--name',
        'rollback',
        '--input',
        json({ requestedBy: 'carol', reason: 'as carol' }),
      );
      const s = await eventually(
        () => statusOf(run),
        (x) => x.ignored.some((i) => i.name === 'rollback'),
        'the ignored rollback',
      );
      expect(s.ignored).toContainEqual(
        expect.objectContaining({
          name: 'rollback',
          from: 'carol (unproven)',
          reason: expect.stringMatching(/^unproven rollback: it carries no proof/),
        }),
      );
      expect(s.rollbacks ?? []).toEqual([]);
      expect(await audited(run)).toContainEqual(
        expect.objectContaining({ action: 'rollback.ignored', actor: 'unproven' }),
      );
    });

    it("refuses a rollback run's decision without proof, and stops a forged rollback run before it asks anyone", async () => {
      const cohort = (await statusOf(run)).cohorts.find((c) => c.size > 0)!.cohortId;
      const requested = await sys.h.call('POST', `/cohorts/${cohort}/rollback`, TOKENS.operator, {
        toVersion: 1,
        reason: 'security check',
      });
      // Version 1 is the newest: the run ends invalid, but first it checks its start proof and so is a fair target.
      const rollbackId = requested.body.workflowId as string;
      const forgedDecision = await updateAsCli(rollbackId, 'decide', { approver: 'carol', decision: 'approve' });
      expect(forgedDecision.code).not.toBe(0);
      // On a loaded machine the CLI can arrive after the run has ended: then nothing is left to decide.
      expect(forgedDecision.out).toMatch(
        /no proof that carol sent it|not awaiting approval|workflow execution already completed/,
      );

      const forgedStart = await temporalCli(
        'workflow',
        'start',
        '--type',
        'rollbackCohort',
        '--task-queue',
        sys.taskQueue,
        '--workflow-id',
        `rollback-${cohort}-to-v1-99`,
        '--input',
        json({ cohortId: cohort, toVersion: 1, requestedBy: 'arthur', reason: 'as arthur' }),
      );
      expect(forgedStart.code).toBe(0);
      const s = await eventually(
        () =>
          sys.h
            .call('GET', `/rollbacks/rollback-${cohort}-to-v1-99`, TOKENS.viewer)
            .then((r) => r.body as unknown as CohortRollbackStatus),
        (x) => x.stage === 'done',
        'the forged rollback run',
      );
      expect(s).toMatchObject({
        outcome: 'invalid',
        requestedBy: 'arthur (unproven)',
        failure: expect.stringMatching(/^start refused — unproven start: it carries no proof/),
      });
      expect(s.restored).toBeUndefined();
    });
  });

  describe('load', () => {
    it('accepts one of 30 concurrent starts of a tier and answers the others 409 with the active run; a queued start waits', async () => {
      // The run above has published: its outcome is settled, so the tiers are free again.
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          sys.h.call('POST', '/refreshes', TOKENS.operator, { tier: 'all', rationale: `load ${i}` }),
        ),
      );
      const accepted = answers.filter((a) => a.status === 202);
      expect(accepted).toHaveLength(1);
      const active = accepted[0]!.body.workflowId as string;
      const refused = answers.filter((a) => a.status === 409);
      expect(refused).toHaveLength(29);
      for (const r of refused)
        expect(r.body).toMatchObject({
          error: 'refresh_running',
          runId: active,
          message: expect.stringMatching(new RegExp(`^a (strategic|tactical) refresh is active: ${active}; `)),
        });
      // Temporal's visibility lags: wait until it lists the accepted run, then nothing else started.
      const runningAdhoc = async () => {
        const ids: string[] = [];
        for await (const w of sys.temporal.client.workflow.list({
          query: `WorkflowType = 'refreshCycle' AND ExecutionStatus = 'Running'`,
        }))
          if (w.workflowId.startsWith('refresh-adhoc-2') && w.workflowId !== run) ids.push(w.workflowId);
        return ids;
      };
      expect(await eventually(runningAdhoc, (ids) => ids.includes(active), 'the accepted run listed')).toEqual([
        active,
      ]);

      const queued = await sys.h.call('POST', '/refreshes', TOKENS.operator, {
        tier: 'tactical',
        rationale: 'after it',
        queue: true,
      });
      expect(queued).toMatchObject({ status: 202, body: { queuedBehind: active } });
      const waiting = await eventually(
        () => statusOf(queued.body.workflowId as string),
        (x) => x.stage === 'queued',
        'the queued run',
      );
      expect(waiting).toMatchObject({ queuedBehind: active });
      expect(waiting.ingest).toBeUndefined();
    });
  });
});
