import { noticeChannels } from './notifications/approval-notices';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApi } from './api/server';
import { registerDemoInbox } from './api/demo-inbox';
import type { Config } from './config';
import { connect } from './data/db';
import { startEmbeddedPostgres } from './data/embedded-postgres';
import { migrate } from './data/migrate';
import { demoTokens, demoWebhookSecret, ensureDemoSources, tokenOf } from './demo-setup';
import { configuredDestinations } from './destinations/configured';
import type { Destination } from './destinations/destination';
import type { Logger } from './log';
import { connectionOptions } from './temporal/connection';
import { watchdogGuard, type ChildGuard } from './instance/guard';
import { startWatchdog } from './instance/watchdog';
import { startDevServer } from './temporal/dev-server';
import { ensureSearchAttributes } from './temporal/ensure-search-attributes';
import { policyOf, RefreshClient } from './temporal/refresh-client';
import { ensureSchedules } from './temporal/schedules';
import { installTemporalRuntime } from './worker/runtime';
import { makeCurrent } from './worker/deployment';
import { createWorker } from './worker/worker';

export interface RunningSystem {
  apiUrl: string;
  temporalAddress: string;
  uiUrl?: string;
  /** The embedded PostgreSQL's address for people and tools (no password in it). */
  postgresUrl?: string;
  /** Settles when an embedded server (PostgreSQL, the dev server) ends on its own. */
  failed?: Promise<Error>;
  stop(): Promise<void>;
}

/**
 * Everything in one process: Postgres (a server, or the embedded PostgreSQL), Temporal (a server
 * or the CLI's dev server), migrations, demo data, the worker, the HTTP API and the schedules.
 * Stops in reverse order of start. The embedded servers are registered with the guard; without
 * one, a watchdog of its own keeps them from outliving this process.
 */
export async function startSystem(config: Config, log: Logger, given?: ChildGuard): Promise<RunningSystem> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log.warn({ err }, 'error during shutdown'));
  };
  const failures: Array<Promise<Error>> = [];
  let guard = given;
  if (!guard && (!config.databaseUrl || !config.temporal.address)) {
    const watchdog = startWatchdog();
    stops.push(async () => watchdog.close());
    guard = watchdogGuard(watchdog);
  }
  installTemporalRuntime(log);
  try {
    let databaseUrl = config.databaseUrl;
    let postgresUrl: string | undefined;
    if (!databaseUrl) {
      const dir = path.join(config.dataDir, 'postgres');
      const embedded = await startEmbeddedPostgres({
        dir,
        passwordFile: path.join(config.dataDir, 'postgres-password'),
        logFile: path.join(config.dataDir, 'postgres.log'),
        port: config.embeddedPostgresPort,
        guard: guard!,
        log,
      });
      stops.push(() => embedded.stop());
      failures.push(embedded.exited);
      databaseUrl = embedded.url;
      postgresUrl = embedded.tcpUrl;
      log.info({ dir, url: postgresUrl }, 'embedded PostgreSQL ready');
    }
    const db = connect(databaseUrl);
    stops.push(() => db.close());
    const applied = await migrate(db);
    if (applied.length) log.info({ applied }, 'migrations applied');

    const defaultSources = path.join(config.dataDir, 'sources');
    if (config.sourceDir === defaultSources && (await ensureDemoSources(config.sourceDir))) {
      log.info({ dir: config.sourceDir }, 'demo data set written');
    }

    let devServer: string | undefined;
    let uiUrl: string | undefined;
    if (!config.temporal.address) {
      const dev = await startDevServer({
        dataDir: config.dataDir,
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        namespace: config.temporal.namespace,
        log,
        home: config.home,
        guard: guard!,
      });
      stops.push(() => dev.stop());
      failures.push(dev.exited);
      devServer = dev.address;
      uiUrl = dev.uiUrl;
    }
    const temporal = connectionOptions(config.temporal, devServer);

    const tokens = config.tokens ?? demoTokens(config.dataDir);
    const approvers =
      config.approval.approvers.length > 0
        ? config.approval.approvers
        : Object.values(tokens)
            .filter((g) => g.roles.includes('approver'))
            .map((g) => g.user);
    const policy = policyOf(config, approvers);

    const clientConnection = await Connection.connect(temporal);
    stops.push(() => clientConnection.close());
    await ensureSearchAttributes(clientConnection, config.temporal.namespace, log);
    const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
    const refreshes = new RefreshClient(client, config.temporal.taskQueue, policy, config.rollback.watchWindow);

    // The API listens before the worker starts: the demo inbox's URL needs its port.
    const demoSecret = config.webhook ? undefined : demoWebhookSecret(config.dataDir);
    let destinations: Destination[] = [];
    const api = createApi({
      refreshes,
      cohorts: { db, catalogDir: config.catalogDir },
      tokens,
      log,
      destinations: () => destinations,
    });
    if (demoSecret) registerDemoInbox(api, demoSecret);
    await api.listen({ host: config.api.host, port: config.api.port });
    stops.push(() => api.close());
    const { port } = api.server.address() as AddressInfo;
    const apiUrl = `http://${config.api.host}:${port}`;

    destinations = await configuredDestinations(
      config,
      demoSecret ? { name: 'demo-inbox', url: `${apiUrl}/demo/webhook-inbox`, secret: demoSecret } : undefined,
    );

    const connection = await NativeConnection.connect(temporal);
    stops.push(() => connection.close());
    const { worker, version } = await createWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      deps: {
        db,
        log,
        sourceDir: config.sourceDir,
        catalogDir: config.catalogDir,
        destinations,
        notices: noticeChannels(config.approval),
      },
    });
    const workerDone = worker.run();
    stops.push(async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerDone;
    });
    // This process is the only worker it runs: new runs start on its build. Runs pinned to an
    // earlier build wait for a worker of that build (docs/upgrading.md).
    await makeCurrent(connection.workflowService, config.temporal.namespace, version, { log });

    const schedules = await ensureSchedules(client, config.temporal.taskQueue, policy, config.rollback.watchWindow);
    log.info({ schedules }, 'schedules up to date');

    if (!config.tokens) {
      log.info(
        { operator: tokenOf(tokens, 'alice'), approver: tokenOf(tokens, 'bob') },
        'demo tokens (in .data/demo-tokens.json)',
      );
    }
    const failed = failures.length ? Promise.race(failures) : undefined;
    return { apiUrl, temporalAddress: temporal.address, uiUrl, postgresUrl, failed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
