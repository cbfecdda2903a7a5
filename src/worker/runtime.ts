import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger } from '../log';

let installed = false;

/**
 * Routes the Temporal SDK's own logs through pino and leaves signal handling to us, so
 * Ctrl-C stops the worker, the API and the servers in one order. Call before any connection.
 */
export function installTemporalRuntime(log: Logger, level: 'WARN' | 'INFO' = 'WARN'): void {
  if (installed) return;
  const sdk = log.child({ component: 'temporal-sdk' });
  const write = (entry: LogEntry) => {
    const meta = entry.meta ?? {};
    if (entry.level === 'ERROR') sdk.error(meta, entry.message);
    else if (entry.level === 'WARN') sdk.warn(meta, entry.message);
    else sdk.info(meta, entry.message);
  };
  try {
    Runtime.install({ logger: new DefaultLogger(level, write), shutdownSignals: [] });
  } catch (err) {
    // Already created (a test harness made a connection first): keep the one there is.
    if ((err as Error).name !== 'IllegalStateError') throw err;
  }
  installed = true;
}
