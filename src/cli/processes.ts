import { noticeChannels } from '../notifications/approval-notices';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApi } from '../api/server';
import type { Config } from '../config';
import { connect } from '../data/db';
import { migrate } from '../data/migrate';
import { configuredDestinations } from '../destinations/configured';
import { configuredCheckpoints } from '../governance/audit-checkpoints';
import type { Logger } from '../log';
import { connectionOptions } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes';
import { keyringFrom, loadSigningKeyFile } from '../governance/proof-keys';
import { policyOf, RefreshClient } from '../temporal/refresh-client';
import { ensureSchedules } from '../temporal/schedules';
import { untilAvailable } from '../retry';
import { installTemporalRuntime, metricsAddressOf } from '../worker/runtime';
import { makeCurrent } from '../worker/deployment';
import { superviseWorker } from '../worker/supervisor';

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined)
    throw new Error(
      `set ${name}: separate worker and API processes need a shared server (npm start runs everything embedded)`,
    );
  return value;
}

/** The configured Temporal server; a profile (TEMPORAL_PROFILE) may name it instead of TEMPORAL_ADDRESS. */
function sharedTemporal(config: Config) {
  required(config.temporal.address, 'TEMPORAL_ADDRESS (or a Temporal profile with an address)');
  return connectionOptions(config.temporal);
}

/**
 * A worker process for the server deployment (docker-compose): scale by running more. It waits
 * for PostgreSQL and Temporal at start, and outlives their restarts afterwards: activities in
 * flight fail and retry, polls resume when Temporal is back.
 */
export async function runWorker(config: Config, log: Logger): Promise<() => Promise<void>> {
  const { metricsAddress } = installTemporalRuntime(log, 'WARN', {
    metricsAddress: await metricsAddressOf(config.workerMetricsAddress),
  });
  // Settings first: a missing key is said at once, not after waiting for the servers.
  const keyring = keyringFrom(required(config.proofs.verifyKeys, 'DECISION_VERIFY_KEYS'));
  // A deployment is given its signing key (AUDIT_SIGNING_KEY_FILE): never made up by one process.
  const auditCheckpoints = configuredCheckpoints(config.audit, { generate: false });
  const db = connect(required(config.databaseUrl, 'DATABASE_URL'));
  await untilAvailable('PostgreSQL (DATABASE_URL)', () => migrate(db), log);
  const destinations = await configuredDestinations(config);
  const temporal = sharedTemporal(config);
  const connection = await untilAvailable(
    `Temporal at ${temporal.address}`,
    () => NativeConnection.connect(temporal),
    log,
  );
  // A plain client beside the worker's connection: to ask whether a run holding a tier still runs.
  const clientConnection = await Connection.connect(temporal);
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
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
      policy: policyOf(config),
      isRunOpen: (id) => isRunOpen(client, id),
      auditCheckpoints,
    },
  });
  const { version } = worker;
  // The first build of an installation becomes current by itself; promoting a later one is a
  // deliberate step of the rollout (docs/upgrading.md), taken once its workers poll.
  const current = await untilAvailable(
    'making the first build current',
    () => makeCurrent(connection.workflowService, config.temporal.namespace, version, { unlessSet: true, log }),
    log,
  );
  const { address, namespace, source } = config.temporal;
  log.info(
    {
      temporal: { address, namespace, source },
      taskQueue: config.temporal.taskQueue,
      destinations: destinations.map((d) => d.name),
      deploymentName: version.deploymentName,
      buildId: version.buildId,
      current: current.buildId === version.buildId,
      trustedKeys: [...keyring.keys()],
      metrics: metricsAddress ? `http://${metricsAddress}/metrics` : 'off',
    },
    'worker running',
  );
  return async () => {
    await worker.stop();
    await connection.close();
    await clientConnection.close();
    await db.close();
  };
}

export async function isRunOpen(client: Client, workflowId: string): Promise<boolean> {
  const described = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  return described?.status.name === 'RUNNING';
}

/**
 * An API process for the server deployment; also keeps the schedules up to date. It reads and
 * changes cohort definitions in Postgres and the catalog folder, so it migrates like a worker.
 */
export async function runServer(config: Config, log: Logger): Promise<() => Promise<void>> {
  const tokens = required(config.tokens, 'COHORTFLOW_TOKENS');
  const signer = loadSigningKeyFile(required(config.proofs.signingKeyFile, 'DECISION_SIGNING_KEY_FILE'));
  const db = connect(required(config.databaseUrl, 'DATABASE_URL'));
  await untilAvailable('PostgreSQL (DATABASE_URL)', () => migrate(db), log);
  const auditCheckpoints = configuredCheckpoints(config.audit, { generate: false });
  const temporal = sharedTemporal(config);
  const connection = await untilAvailable(`Temporal at ${temporal.address}`, () => Connection.connect(temporal), log);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  await untilAvailable(
    'search attributes and schedules',
    async () => {
      await ensureSearchAttributes(connection, config.temporal.namespace, log);
      await ensureSchedules(client, config.temporal.taskQueue, signer, config.rollback.watchWindow);
    },
    log,
  );
  // Reconcile sends from the API process, so it needs the same destinations as the workers.
  const destinations = await configuredDestinations(config);
  const api = createApi({
    refreshes: new RefreshClient(client, config.temporal.taskQueue, signer, config.rollback.watchWindow),
    cohorts: { db, catalogDir: config.catalogDir },
    tokens,
    log,
    destinations: () => destinations,
    auditCheckpoints,
    dashboard: {
      sessionTtl: config.dashboard.sessionTtl,
      temporalUiUrl: config.dashboard.temporalUiUrl,
      trustProxy: config.api.trustProxy,
    },
  });
  await api.listen({ host: config.api.host, port: config.api.port });
  log.info({ signingKey: signer.kid }, 'api signs decision proofs');
  return async () => {
    await api.close();
    await connection.close();
    await db.close();
  };
}
