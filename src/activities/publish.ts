import { Context } from '@temporalio/activity';
import { deliverRunVersion, NothingToDeliver } from '../delivery/deliver-run';
import { publishSnapshots as publishRunSnapshots, PublishRefused, type PublishedVersion } from '../publishing/publish';
import type { DeliveryHeartbeat, DeliveryResult } from '../shared';
import { activityLog, invalidInput } from './context';
import { countBatchDelivered } from './metrics';
import type { ActivityDeps } from './deps';

export type { PublishedVersion };

/** Publishing refused (snapshots of another run, a version that does not exist) is not retried. */
export async function publishingChecked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof PublishRefused || err instanceof NothingToDeliver) throw invalidInput(err.message);
    throw err;
  }
}

/** Moves every cohort's current pointer to the run's snapshot in one transaction (src/publishing). */
export async function publishSnapshots(
  deps: ActivityDeps,
  input: { runId: string; snapshotIds: string[]; approvedBy: string; approvals?: Record<string, string> },
): Promise<PublishedVersion[]> {
  const published = await publishingChecked(() => publishRunSnapshots(deps.db, input));
  activityLog(deps.log, { runId: input.runId }).info({ cohorts: published.length }, 'published');
  return published;
}

/** Delivers the run's published version of the cohort to its destinations (src/delivery). */
export async function deliverCohort(
  deps: ActivityDeps,
  input: { runId: string; cohortId: string },
): Promise<DeliveryResult[]> {
  const log = activityLog(deps.log, { runId: input.runId, cohortId: input.cohortId });
  return publishingChecked(() =>
    deliverRunVersion({ db: deps.db, log, http: deps.http }, deps.destinations, input, {
      heartbeat: ({ destination, batch, batches }) => {
        const detail: DeliveryHeartbeat = {
          kind: 'delivery',
          cohortId: input.cohortId,
          destination,
          batches: { done: batch, total: batches },
        };
        Context.current().heartbeat(detail);
        countBatchDelivered(destination);
      },
    }),
  );
}
