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
import { demoTokens, demoWebhookSecret, ensureDemoSources } from './demo-setup';
import { configuredDestinations } from './destinations/configured';
import { configuredCheckpoints } from './governance/audit-checkpoints';
import type { Destination } from './destinations/destination';
import type { Logger } from './log';
import { connectionOptions } from './temporal/connection';
import { watchdogGuard, type ChildGuard } from './instance/guard';
import { startWatchdog } from './instance/watchdog';
import { startDevServer } from './temporal/dev-server';
import { ensureSearchAttributes } from './temporal/ensure-search-attributes';
import { isRunOpen } from './cli/processes';
import { keyringEntryOf, keyringFrom, loadSigningKeyFile } from './governance/proof-keys';
import { policyOf, RefreshClient } from './temporal/refresh-client';
import { ensureSchedules } from './temporal/schedules';
import { installTemporalRuntime, metricsAddressOf } from './worker/runtime';
import { makeCurrent } from './worker/deployment';
import { superviseWorker } from './worker/supervisor';

/** Demo mode: no destination configured, so deliveries go to the built-in inbox. */
export const isDemoMode = (config: Config) => !config.webhook && !config.destinationsFile;

export interface RunningSystem {
  apiUrl: string;
  temporalAddress: string;
  uiUrl?: string;
  /** The embedded PostgreSQL's address for people and tools (no password in it). */
  postgresUrl?: string;
  /** The worker's Prometheus endpoint (the SDK's metrics and cohortflow's counters), unless off. */
  workerMetricsUrl?: string;
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
  const { metricsAddress } = installTemporalRuntime(log, 'WARN', {
    metricsAddress: await metricsAddressOf(config.workerMetricsAddress),
  });
  const workerMetricsUrl = metricsAddress ? `http://${metricsAddress}/metrics` : undefined;
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
        // An operator's pg_ctl restart is survived: the new server is kept (and stopped with the rest).
        adoptRestartsWithinMs: 30_000,
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
    // Embedded mode keeps its audit signing key under the data folder, made on first start.
    const auditCheckpoints = configuredCheckpoints(config.audit, { generate: true });
    await auditCheckpoints.write(db);

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
    // This process is both the API (it signs) and the worker (it checks): it trusts its own key,
    // and any others configured, e.g. the previous key while rotating.
    const signer = loadSigningKeyFile(
      config.proofs.signingKeyFile ?? path.join(config.dataDir, 'decision-signing-key.pem'),
      { create: !config.proofs.signingKeyFile },
    );
    const keyring = keyringFrom({ ...config.proofs.verifyKeys, ...keyringEntryOf(signer) });

    const clientConnection = await Connection.connect(temporal);
    stops.push(() => clientConnection.close());
    await ensureSearchAttributes(clientConnection, config.temporal.namespace, log);
    const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
    const refreshes = new RefreshClient(client, config.temporal.taskQueue, signer, config.rollback.watchWindow);

    // The API listens before the worker starts: the demo inbox's URL needs its port.
    // Demo mode only: with any destination configured there is no inbox to read without a token.
    const demoSecret = isDemoMode(config) ? demoWebhookSecret(config.dataDir) : undefined;
    let destinations: Destination[] = [];
    const api = createApi({
      refreshes,
      cohorts: { db, catalogDir: config.catalogDir },
      tokens,
      log,
      destinations: () => destinations,
      auditCheckpoints,
      dashboard: {
        sessionTtl: config.dashboard.sessionTtl,
        temporalUiUrl: config.dashboard.temporalUiUrl ?? uiUrl,
        trustProxy: config.api.trustProxy,
      },
    });
    if (demoSecret) registerDemoInbox(api, demoSecret, path.join(config.dataDir, 'demo-inbox.ndjson'));
    await api.listen({ host: config.api.host, port: config.api.port });
    stops.push(() => api.close());
    const { port } = api.server.address() as AddressInfo;
    const apiUrl = `http://${config.api.host}:${port}`;

    // A listener on every interface is reached, by this process too, on loopback.
    const inboxHost = ['0.0.0.0', '::'].includes(config.api.host) ? '127.0.0.1' : config.api.host;
    destinations = await configuredDestinations(
      config,
      // The demo inbox is this process's own route on the API's (loopback) address: the one
      // destination allowed onto a private network without being configured so.
      demoSecret
        ? {
            name: 'demo-inbox',
            url: `http://${inboxHost}:${port}/demo/webhook-inbox`,
            secret: demoSecret,
            allowPrivateNetwork: true,
          }
        : undefined,
    );

    const connection = await NativeConnection.connect(temporal);
    stops.push(() => connection.close());
    // Supervised: a Temporal outage (an external server restarting) is waited out, and a worker
    // that fails is started again; /health says when none polls.
    const worker = await superviseWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      log,
      deps: {
        db,
        log,
        sourceDir: config.sourceDir,
        catalogDir: config.catalogDir,
        destinations,
        notices: noticeChannels(config.approval),
        keyring,
        policy,
        isRunOpen: (id) => isRunOpen(client, id),
        auditCheckpoints,
      },
    });
    stops.push(() => worker.stop());
    const { version } = worker;
    // This process is the only worker it runs: new runs start on its build. Runs pinned to an
    // earlier build wait for a worker of that build (docs/upgrading.md).
    await makeCurrent(connection.workflowService, config.temporal.namespace, version, { log });

    const schedules = await ensureSchedules(client, config.temporal.taskQueue, signer, config.rollback.watchWindow);
    log.info({ schedules }, 'schedules up to date');

    // Tokens are secrets: the log says where they are, never what they are.
    if (!config.tokens) log.info({ file: path.join(config.dataDir, 'demo-tokens.json') }, 'demo tokens');
    const failed = failures.length ? Promise.race(failures) : undefined;
    if (workerMetricsUrl) log.info({ url: workerMetricsUrl }, 'worker metrics for Prometheus');
    return { apiUrl, temporalAddress: temporal.address, uiUrl, postgresUrl, workerMetricsUrl, failed, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
