import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

const nonRetryableErrorTypes = ['InvalidInput'];

/**
 * Database-bound stages: transient failures (a Postgres restart) retry with backoff. A lost worker
 * is noticed by the missing heartbeats; the start-to-close bound is for a statement that never
 * ends, and leaves room for an ingest of millions of rows (11 minutes at 1M customers here).
 */
export const stages = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes,
  },
});

/**
 * Deliveries keep retrying a destination that is down (503s) for up to a day. They heartbeat
 * between batches, so a worker that dies mid-delivery is noticed within a minute and another
 * worker resumes at the first unacknowledged batch.
 */
export const deliveries = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '10 minutes', nonRetryableErrorTypes },
});

/**
 * Proof checks run as local activities: quick, in the worker that runs the workflow (node:crypto
 * is not available in the workflow sandbox), and recorded, so a replay never checks again.
 */
export const proofChecks = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});
