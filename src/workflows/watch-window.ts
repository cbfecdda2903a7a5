import type { StringValue } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { ApplicationFailure, sleep } from '@temporalio/workflow';
import { Mutex } from 'async-mutex';
import { deliveries, stages } from './activities';
import type { RefreshState } from './refresh-state';
import { rollbackRefusal, rollbackTargets, type WatchState } from './rollback-rules';
import type { RefreshInput, RollbackInput, RollbackRecord, SnapshotRef } from '../shared';

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

  constructor(
    private readonly state: RefreshState,
    input: RefreshInput,
  ) {
    this.watch = { runId: state.runId, policy: input.policy, published: [], open: false, rollbacks: [] };
    this.window = input.watchWindow ?? DEFAULT_WATCH_WINDOW;
  }

  /** Keeps the run open for the window after `published`; returns the rollbacks taken. */
  async keepOpen(published: Array<{ cohortId: string }>, snapshots: SnapshotRef[]): Promise<RollbackRecord[]> {
    const ms = msToNumber(this.window);
    const closesAt = new Date(Date.now() + ms).toISOString();
    this.watch.published = published.map((p) => ({
      cohortId: p.cohortId,
      tier: snapshots.find((s) => s.cohortId === p.cohortId)?.tier ?? 'strategic',
    }));
    this.watch.closesAt = closesAt;
    this.watch.open = ms > 0;
    this.state.status.watch = { window: this.window, closesAt };
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
  }

  take(r: RollbackInput): Promise<RollbackRecord> {
    return this.oneAtATime.runExclusive(() => {
      // Checked again: another rollback may have been taken, or the window closed, meanwhile.
      const why = rollbackRefusal(this.watch, r);
      if (why) throw ApplicationFailure.nonRetryable(why, 'RollbackRefused');
      return this.act(r, 'update');
    });
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

  /** A signal has no caller to answer: an invalid or failed one is shown in the status and audited. */
  async takeSignal(r: RollbackInput): Promise<void> {
    const why = await this.oneAtATime.runExclusive(async () => {
      const refused = rollbackRefusal(this.watch, r);
      if (refused) return refused;
      // A signal has no caller to answer: a failed rollback is recorded like a refused one.
      return this.act(r, 'signal').then(
        () => undefined,
        (err: Error) => `rollback failed: ${err.cause instanceof Error ? err.cause.message : err.message}`,
      );
    });
    if (!why) return;
    const from = typeof r?.requestedBy === 'string' ? r.requestedBy : 'unknown';
    this.state.status.ignored.push({ name: 'rollback', from, reason: why, at: new Date().toISOString() });
    await stages.audit({
      runId: this.watch.runId,
      actor: from,
      action: 'rollback.ignored',
      details: { via: 'signal', cohorts: r?.cohorts ?? null, reason: why },
    });
  }
}
