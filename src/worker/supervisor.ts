import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import type { Logger } from '../log';
import { createWorker, type WorkerOptions } from './worker';

/** A worker kept running: started again when it fails, until stop(). */
export interface SupervisedWorker {
  version: WorkerDeploymentVersion;
  /** How many times the worker has been started again after failing. */
  restarts(): number;
  stop(): Promise<void>;
}

const FIRST_DELAY_MS = 1_000;
const LONGEST_DELAY_MS = 60_000;

/**
 * Runs the worker and starts it again whenever it ends on its own. A Temporal outage does not
 * end it (the SDK keeps polling and reconnects when the server is back), but a fatal worker
 * error would, and the process must not carry on without one, nor exit and need a hand
 * restart: it waits (1 s doubling to 1 min) and creates the worker afresh on the same
 * connection and bundle. Meanwhile /health says no worker polls.
 */
export async function superviseWorker(options: WorkerOptions & { log: Logger }): Promise<SupervisedWorker> {
  const log = options.log.child({ component: 'worker' });
  const first = await createWorker(options);
  const { version, workflowBundle } = first;
  let current: Worker | undefined = first.worker;
  let stopping = false;
  let restarts = 0;
  let wake: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = (async () => {
    let delay = FIRST_DELAY_MS;
    while (!stopping) {
      if (!current) {
        try {
          current = (await createWorker({ ...options, workflowBundle })).worker;
        } catch (err) {
          log.error({ err, retryInMs: delay }, 'could not start the worker again; retrying');
          await pause(delay);
          delay = Math.min(delay * 2, LONGEST_DELAY_MS);
          continue;
        }
        restarts += 1;
        log.warn({ restarts }, 'worker started again');
      }
      const startedAt = Date.now();
      try {
        await current.run();
        if (stopping) return;
        log.error('the worker stopped by itself; starting it again');
      } catch (err) {
        if (stopping) return;
        log.error({ err, retryInMs: delay }, 'the worker failed; starting it again');
      }
      current = undefined;
      // A worker that ran a good while before failing starts again quickly.
      if (Date.now() - startedAt > LONGEST_DELAY_MS) delay = FIRST_DELAY_MS;
      await pause(delay);
      delay = Math.min(delay * 2, LONGEST_DELAY_MS);
    }
  })();

  return {
    version,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      wake?.();
      if (current?.getState() === 'RUNNING') current.shutdown();
      await loop;
    },
  };
}
