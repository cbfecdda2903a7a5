import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Db } from '../data/db';
import type { Logger } from '../log';

// What /health reports: whether PostgreSQL answers, whether Temporal answers, and whether a
// worker polls the task queue. Each check is bounded by a short deadline, so the answer comes
// quickly even when something is away; the details a person needs go to the log, not the
// answer (it is unauthenticated).

export interface HealthCheck {
  ok: boolean;
  /** A short, non-secret reason when it is not ok, e.g. "unreachable", "no worker polled in 60 s". */
  detail?: string;
}

export interface HealthReport {
  ok: boolean;
  checks: { postgres: HealthCheck; temporal: HealthCheck; worker: HealthCheck };
}

export interface HealthDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  log: Logger;
  /** Per check; default 2 s. */
  timeoutMs?: number;
}

/** A worker that polled within this long counts as polling (Temporal remembers pollers for minutes). */
export const POLLER_FRESH_MS = 60_000;

class TimedOut extends Error {}

function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

const failed = (err: unknown): HealthCheck => ({
  ok: false,
  detail: err instanceof TimedOut ? err.message : 'unreachable',
});

export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const ms = deps.timeoutMs ?? 2_000;
  const log = deps.log.child({ component: 'health' });
  const postgres = within(
    ms,
    Promise.resolve().then(() => deps.db.query('SELECT 1')),
  ).then(
    (): HealthCheck => ({ ok: true }),
    (err: unknown) => {
      log.warn({ err }, 'health: PostgreSQL does not answer');
      return failed(err);
    },
  );
  const connection = deps.client.connection;
  const deadline = () => Date.now() + ms;
  const temporalUp = connection
    .withDeadline(deadline(), () => connection.workflowService.getSystemInfo({}))
    .then(
      (): HealthCheck => ({ ok: true }),
      (err: unknown) => {
        log.warn({ err }, 'health: Temporal does not answer');
        return failed(err);
      },
    );
  const worker = temporalUp.then(async (t): Promise<HealthCheck> => {
    if (!t.ok) return { ok: false, detail: 'unknown while Temporal does not answer' };
    try {
      const queues = await Promise.all(
        [
          temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        ].map((taskQueueType) =>
          connection.withDeadline(deadline(), () =>
            connection.workflowService.describeTaskQueue({
              namespace: deps.client.options.namespace,
              taskQueue: { name: deps.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
              taskQueueType,
            }),
          ),
        ),
      );
      const fresh = (q: (typeof queues)[number]) =>
        (q.pollers ?? []).some((p) => Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < POLLER_FRESH_MS);
      const [workflows, activities] = queues.map(fresh);
      if (workflows && activities) return { ok: true };
      const missing = [workflows ? undefined : 'workflow', activities ? undefined : 'activity'].filter(Boolean);
      return {
        ok: false,
        detail: `no worker polled the ${missing.join(' and ')} task queue "${deps.taskQueue}" in the last ${POLLER_FRESH_MS / 1000} s`,
      };
    } catch (err) {
      log.warn({ err }, 'health: could not describe the task queue');
      return failed(err);
    }
  });
  const checks = { postgres: await postgres, temporal: await temporalUp, worker: await worker };
  return { ok: checks.postgres.ok && checks.temporal.ok && checks.worker.ok, checks };
}
