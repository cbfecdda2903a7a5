import net from 'node:net';
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import type { Logger } from '../log';

let installed: { metricsAddress?: string } | undefined;

/**
 * Routes the Temporal SDK's own logs (the native core's included) through pino, exports its
 * metrics for Prometheus on `metricsAddress` (host:port; the worker's activities add
 * cohortflow's own counters there), and leaves signal handling to us, so Ctrl-C stops the
 * worker, the API and the servers in one order. Call before any connection; the first call wins.
 * Returns the metrics address in effect, if any.
 */
export function installTemporalRuntime(
  log: Logger,
  level: 'WARN' | 'INFO' = 'WARN',
  options: {
    metricsAddress?: string;
    /**
     * Forward the native core's logs (default true). Forwarding keeps a handle open for the
     * process's life: right for a server, wrong for a process that should end when its work is
     * done (a test runner).
     */
    forwardCoreLogs?: boolean;
  } = {},
): { metricsAddress?: string } {
  if (installed) return installed;
  const sdk = log.child({ component: 'temporal-sdk' });
  const write = (entry: LogEntry) => {
    const meta = entry.meta ?? {};
    if (entry.level === 'ERROR') sdk.error(meta, entry.message);
    else if (entry.level === 'WARN') sdk.warn(meta, entry.message);
    else sdk.info(meta, entry.message);
  };
  try {
    Runtime.install({
      logger: new DefaultLogger(level, write),
      shutdownSignals: [],
      telemetryOptions: {
        // The core's warnings (a poll retried while Temporal is away) as JSON lines like ours.
        ...(options.forwardCoreLogs === false
          ? {}
          : { logging: { filter: { core: level, other: 'ERROR' }, forward: {} } }),
        ...(options.metricsAddress ? { metrics: { prometheus: { bindAddress: options.metricsAddress } } } : {}),
      },
    });
    installed = { metricsAddress: options.metricsAddress };
  } catch (err) {
    // Already created (a test harness made a connection first): keep the one there is.
    if ((err as Error).name !== 'IllegalStateError') throw err;
    installed = {};
  }
  return installed;
}

/** `host:0` becomes `host:<a free port>` (the SDK's exporter needs a port of its own); others stay. */
export async function metricsAddressOf(address: string | undefined): Promise<string | undefined> {
  if (!address) return undefined;
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  if (Number(address.slice(at + 1)) !== 0) return address;
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return `${host}:${port}`;
}
