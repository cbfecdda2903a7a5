import { noticeChannels } from './notifications/approval-notices';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApi } from './api/server';
import { registerDemoInbox } from './api/demo-inbox';
import type { Config } from './config';
import { connect } from './data/db';
import { startEmbeddedPostgres } from './data/embedded';
import { migrate } from './data/migrate';
import { demoTokens, demoWebhookSecret, ensureDemoSources, tokenOf } from './demo-setup';
import { configuredDestinations } from './destinations/configured';
import type { Destination } from './destinations/destination';
import type { Logger } from './log';
import { connectionOptions } from './temporal/connection';
import { startDevServer } from './temporal/dev-server';
import { ensureSearchAttributes } from './temporal/ensure-search-attributes';
import { policyOf, RefreshClient } from './temporal/refresh-client';
import { ensureSchedules } from './temporal/schedules';
import { installTemporalRuntime } from './worker/runtime';
import { createWorker } from './worker/worker';

export interface RunningSystem {
  apiUrl: string;
  temporalAddress: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/**
 * Everything in one process: Postgres (server or embedded PGlite), Temporal (a server or the
 * CLI's dev server), migrations, demo data, the worker, the HTTP API and the schedules.
 * Stops in reverse order of start.
 */
export async function startSystem(config: Config, log: Logger): Promise<RunningSystem> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((err) => log.warn({ err }, 'error during shutdown'));
  };
  installTemporalRuntime(log);
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pglite = await startEmbeddedPostgres(path.join(config.dataDir, 'pglite'));
      stops.push(() => pglite.stop());
      databaseUrl = pglite.url;
      log.info({ dir: path.join(config.dataDir, 'pglite') }, 'embedded PGlite database ready');
    }
    const db = connect(databaseUrl, { embedded: !config.databaseUrl });
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
      });
      stops.push(() => dev.stop());
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
    const worker = await createWorker({
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

    const schedules = await ensureSchedules(client, config.temporal.taskQueue, policy, config.rollback.watchWindow);
    log.info({ schedules }, 'schedules up to date');

    if (!config.tokens) {
      log.info(
        { operator: tokenOf(tokens, 'alice'), approver: tokenOf(tokens, 'bob') },
        'demo tokens (in .data/demo-tokens.json)',
      );
    }
    return { apiUrl, temporalAddress: temporal.address, uiUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
