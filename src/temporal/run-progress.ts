import { arrayFromPayloads, type PayloadConverter } from '@temporalio/common';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import type { temporal } from '@temporalio/proto';
import type {
  ActivityProgress,
  Count,
  DeliveryHeartbeat,
  IngestHeartbeat,
  ProgressHeartbeat,
  RunProgress,
  StageProgress,
} from '../shared';

// A run's progress put together from the workflow's counts (its status query) and the pending
// activities Temporal knows of (their states, attempts and last heartbeat details), with an
// estimate of the time left at the rate so far. Pure but for decoding: tested with tables.

/** A pending activity as the progress needs it, its heartbeat details decoded. */
export interface PendingActivity {
  activity: string;
  state: ActivityProgress['state'];
  attempt: number;
  scheduledAt?: Date;
  lastStartedAt?: Date;
  lastHeartbeatAt?: Date;
  lastFailure?: string;
  lastWorker?: string;
  nextAttemptAt?: Date;
  details?: unknown;
}

/** Beyond this without a heartbeat (workers send them every few seconds), a running activity is suspect. */
export const STALE_HEARTBEAT_MS = 30_000;

const STATES: Record<number, ActivityProgress['state']> = { 1: 'scheduled', 2: 'started', 3: 'cancel-requested' };

export function pendingActivitiesOf(
  pending: temporal.api.workflow.v1.IPendingActivityInfo[] | null | undefined,
  converter: PayloadConverter,
): PendingActivity[] {
  return (pending ?? []).map((p) => {
    let details: unknown;
    try {
      details = arrayFromPayloads(converter, p.heartbeatDetails?.payloads)[0];
    } catch {
      details = undefined; // details of another shape (another version's worker): shown without them
    }
    return {
      activity: p.activityType?.name ?? 'activity',
      state: STATES[p.state ?? 0] ?? 'paused',
      attempt: p.attempt ?? 1,
      scheduledAt: optionalTsToDate(p.scheduledTime),
      lastStartedAt: optionalTsToDate(p.lastStartedTime),
      lastHeartbeatAt: optionalTsToDate(p.lastHeartbeatTime),
      lastFailure: p.lastFailure?.message ?? undefined,
      lastWorker: p.lastWorkerIdentity || undefined,
      nextAttemptAt: optionalTsToDate(p.nextAttemptScheduleTime),
      details,
    };
  });
}

const isIngest = (d: unknown): d is IngestHeartbeat => (d as ProgressHeartbeat | undefined)?.kind === 'ingest';
const isDelivery = (d: unknown): d is DeliveryHeartbeat => (d as ProgressHeartbeat | undefined)?.kind === 'delivery';

/** Seconds left when a share `fraction` took `elapsedMs`; none before there is a rate. */
export function estimateSeconds(fraction: number | undefined, elapsedMs: number): number | undefined {
  if (fraction === undefined || fraction <= 0 || fraction >= 1 || elapsedMs <= 0) return undefined;
  return Math.round(((elapsedMs / 1000) * (1 - fraction)) / fraction);
}

const share = (c: Count | undefined) => (c && c.total > 0 ? Math.min(1, c.done / c.total) : undefined);

/** The workflow's step and counts, with what the pending activities add. */
export function runProgress(stage: StageProgress, pending: PendingActivity[], now: Date): RunProgress {
  const progress: RunProgress = { ...stage };
  let fraction: number | undefined;
  let since = Date.parse(stage.since);

  const ingest = pending.map((p) => p.details).find(isIngest);
  if (ingest) {
    progress.files = ingest.files;
    progress.rows = ingest.rows;
    progress.chunks = ingest.chunks;
    fraction = share(ingest.files);
    since = Date.parse(ingest.startedAt);
  } else if (stage.cohorts) {
    const deliveries = pending.map((p) => p.details).filter(isDelivery);
    if (deliveries.length) {
      progress.batches = deliveries.reduce<Count>(
        (sum, d) => ({ done: sum.done + d.batches.done, total: sum.total + d.batches.total }),
        { done: 0, total: 0 },
      );
    }
    // A cohort being delivered counts by the share of its batches already acknowledged.
    const partly = deliveries.reduce((n, d) => n + (share(d.batches) ?? 0), 0);
    fraction = share({ done: stage.cohorts.done + partly, total: stage.cohorts.total });
  }
  if (fraction !== undefined) progress.fraction = Number(fraction.toFixed(4));
  const eta = estimateSeconds(fraction, now.getTime() - since);
  if (eta !== undefined) progress.etaSeconds = eta;

  if (pending.length) {
    progress.activities = pending.map((p) => ({
      activity: p.activity,
      state: p.state,
      attempt: p.attempt,
      ...(p.lastHeartbeatAt ? { lastHeartbeatAt: p.lastHeartbeatAt.toISOString() } : {}),
      ...(p.lastFailure ? { lastFailure: p.lastFailure } : {}),
      ...(p.lastWorker ? { lastWorker: p.lastWorker } : {}),
    }));
    const note = noteOf(pending, now);
    if (note) progress.note = note;
  }
  return progress;
}

/** What a person should know about the activities the stage waits on, if anything is off. */
function noteOf(pending: PendingActivity[], now: Date): string | undefined {
  const notes: string[] = [];
  for (const p of pending) {
    if (p.state === 'started') {
      const last = p.lastHeartbeatAt ?? p.lastStartedAt;
      const silentMs = last ? now.getTime() - last.getTime() : 0;
      if (silentMs > STALE_HEARTBEAT_MS)
        notes.push(
          `${p.activity}: no heartbeat for ${Math.round(silentMs / 1000)} s${p.lastWorker ? ` from ${p.lastWorker}` : ''}; if that worker stopped, Temporal retries the activity on another one when its heartbeat timeout passes`,
        );
    } else if (p.state === 'scheduled' && p.attempt <= 1) {
      const waitingMs = p.scheduledAt ? now.getTime() - p.scheduledAt.getTime() : 0;
      if (waitingMs > STALE_HEARTBEAT_MS)
        notes.push(
          `${p.activity}: waiting ${Math.round(waitingMs / 1000)} s for a worker to pick it up; is a worker running and connected to Temporal?`,
        );
    } else if (p.state === 'scheduled') {
      const when = p.nextAttemptAt ? ` at ${p.nextAttemptAt.toISOString()}` : '';
      notes.push(
        `${p.activity}: attempt ${p.attempt} scheduled${when}${p.lastFailure ? `; the last one failed: ${p.lastFailure}` : ''}`,
      );
    }
  }
  return notes.length ? notes.join('; ') : undefined;
}
