import type { StringValue } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { deliveries, proofChecks, stages } from './activities';
import { sameCohorts, sortedUnique } from './proof-rules';
import type { RefreshState } from './refresh-state';
import { malformedRollback, rollbackRefusal, rollbackTargets, type WatchState } from './rollback-rules';
import type { ApprovalPolicy, RefreshInput, RollbackInput, RollbackRecord, SnapshotRef } from '../shared';

const DEFAULT_WATCH_WINDOW: StringValue = '7d';

/**
 * After publish the run stays open for its watch window: a rollback (Update, answered with a
 * reason when refused; or signal, ignored and audited when invalid) restores the snapshots the
 * run replaced as new published versions and delivers the compensating diffs. Rollbacks are
 * taken one at a time, each seeing what the ones before it did, so two requests for the same
 * cohort never both act. That needs a real lock: a `condition(() => !busy)` would wake every
 * waiting request in the same pass, before any of them has recorded its rollback.
 */
export class WatchWindow {
  private readonly watch: WatchState;
  private readonly window: StringValue;
  private readonly oneAtATime = new Mutex();
  /** Nonces of the proofs already used: each proof rolls back once. */
  private readonly usedProofs = new Set<string>();

  constructor(
    private readonly state: RefreshState,
    input: RefreshInput,
  ) {
    this.watch = { runId: state.runId, published: [], open: false, rollbacks: [] };
    this.window = input.watchWindow ?? DEFAULT_WATCH_WINDOW;
  }

  /** Keeps the run open for the window after `published`; returns the rollbacks taken. */
  async keepOpen(
    policy: ApprovalPolicy,
    published: Array<{ cohortId: string }>,
    snapshots: SnapshotRef[],
  ): Promise<RollbackRecord[]> {
    const ms = msToNumber(this.window);
    const closesAt = new Date(Date.now() + ms).toISOString();
    this.watch.policy = policy;
    this.watch.published = published.map((p) => ({
      cohortId: p.cohortId,
      tier: snapshots.find((s) => s.cohortId === p.cohortId)?.tier ?? 'strategic',
    }));
    this.watch.closesAt = closesAt;
    this.watch.open = ms > 0;
    this.state.status.watch = { window: this.window, closesAt, published: this.watch.published.map((p) => p.cohortId) };
    this.state.enter('watching');
    if (ms > 0) await sleep(ms);
    this.watch.open = false;
    this.state.status.watch.closed = true;
    // Queued behind every rollback already asked for: those are answered (refused, now) first.
    await this.oneAtATime.runExclusive(() => undefined);
    return this.watch.rollbacks;
  }

  /** The Update's validator: a refused rollback is answered at once and never enters the history. */
  validate(r: RollbackInput): void {
    const why = rollbackRefusal(this.watch, r);
    if (why) throw new Error(why);
    if (typeof r.proof !== 'string' || !r.proof)
      throw new Error(
        `the rollback carries no proof that ${r.requestedBy} asked for it; ask the cohortflow API for one (cohortflow refresh proof --rollback)`,
      );
  }

  take(r: RollbackInput): Promise<RollbackRecord> {
    return this.oneAtATime.runExclusive(async () => {
      // Checked again: another rollback may have been taken, or the window closed, meanwhile.
      const { why, proven } = await this.admit(r);
      if (why) {
        if (!proven) await this.auditRefused(r, 'rollback.unproven', 'update', why);
        throw ApplicationFailure.nonRetryable(why, proven ? 'RollbackRefused' : 'RollbackUnproven');
      }
      return this.act(r, 'update');
    });
  }

  /** Why the rollback cannot be taken, or undefined once its proof checked out; the caller holds the lock. */
  private async admit(r: RollbackInput): Promise<{ why?: string; proven: boolean }> {
    const before = malformedRollback(r);
    if (before) return { why: before, proven: false };
    // The proof first, so that a refusal names a sender it can believe.
    const cohorts = rollbackTargets(this.watch, r);
    const check = await proofChecks.verifyProof({
      proof: r.proof,
      expected: {
        user: r.requestedBy,
        action: 'rollback',
        workflowId: this.watch.runId,
        cohorts: sortedUnique(cohorts),
        runWide: !r.cohorts?.length,
        text: r.reason,
      },
    });
    if (!check.valid) return { why: `unproven rollback: ${check.reason}`, proven: false };
    // After the await: another rollback may have been taken, or the window closed, meanwhile.
    const after = rollbackRefusal(this.watch, r);
    if (after) return { why: after, proven: true };
    if (!sameCohorts(rollbackTargets(this.watch, r), cohorts))
      return { why: 'the cohorts to roll back changed while its proof was checked; ask for a new proof', proven: true };
    if (check.nonce && this.usedProofs.has(check.nonce))
      return { why: 'unproven rollback: its proof was used already; each proof rolls back once', proven: false };
    if (check.nonce) this.usedProofs.add(check.nonce);
    return { proven: true };
  }

  /** Restores and delivers; the caller holds the lock and has checked the request. */
  private async act(r: RollbackInput, via: RollbackRecord['via']): Promise<RollbackRecord> {
    const { runId } = this.watch;
    const cohorts = rollbackTargets(this.watch, r);
    const rollbackId = `${runId}:rollback:${this.watch.rollbacks.length + 1}`;
    const at = new Date().toISOString();
    const versions = await stages.restorePrevious({
      runId,
      rollbackId,
      cohorts,
      requestedBy: r.requestedBy,
      reason: r.reason,
    });
    const delivered = (
      await Promise.all(cohorts.map((cohortId) => deliveries.deliverCohort({ runId: rollbackId, cohortId })))
    ).flat();
    const record: RollbackRecord = {
      rollbackId,
      by: r.requestedBy,
      reason: r.reason,
      at,
      via,
      cohorts,
      versions,
      deliveries: delivered,
    };
    this.watch.rollbacks.push(record);
    this.state.status.rollbacks = this.watch.rollbacks;
    return record;
  }

  /** A signal has no caller to answer: an invalid, unproven or failed one is shown in the status and audited. */
  async takeSignal(r: RollbackInput): Promise<void> {
    const { why, proven } = await this.oneAtATime.runExclusive(async (): Promise<{ why?: string; proven: boolean }> => {
      const admitted = await this.admit(r);
      if (admitted.why) return admitted;
      // A signal has no caller to answer: a failed rollback is recorded like a refused one.
      return this.act(r, 'signal').then(
        () => ({ proven: true }),
        (err: Error) => ({
          why: `rollback failed: ${err.cause instanceof Error ? err.cause.message : err.message}`,
          proven: true,
        }),
      );
    });
    if (!why) return;
    const claimed = typeof r?.requestedBy === 'string' ? r.requestedBy : 'unknown';
    const from = proven ? claimed : `${claimed} (unproven)`;
    this.state.status.ignored.push({ name: 'rollback', from, reason: why, at: new Date().toISOString() });
    await this.auditRefused(r, 'rollback.ignored', 'signal', why, proven);
  }

  /** An unproven name is never recorded as the actor: it is only what the message claimed. */
  private auditRefused(r: RollbackInput, action: string, via: string, reason: string, proven = false): Promise<void> {
    return stages.audit({
      runId: this.watch.runId,
      actor: proven ? r.requestedBy : 'unproven',
      action,
      details: {
        via,
        claimedBy: typeof r?.requestedBy === 'string' ? r.requestedBy : null,
        cohorts: Array.isArray(r?.cohorts) ? r.cohorts : null,
        reason,
      },
    });
  }
}
