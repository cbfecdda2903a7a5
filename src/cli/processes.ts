import { noticeChannels } from '../notifications/approval-notices';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApi } from '../api/server';
import type { Config } from '../config';
import { connect } from '../data/db';
import { migrate } from '../data/migrate';
import { configuredDestinations } from '../destinations/configured';
import type { Logger } from '../log';
import { connectionOptions } from '../temporal/connection';
import { ensureSearchAttributes } from '../temporal/ensure-search-attributes';
import { policyOf, RefreshClient } from '../temporal/refresh-client';
import { ensureSchedules } from '../temporal/schedules';
import { installTemporalRuntime } from '../worker/runtime';
import { makeCurrent } from '../worker/deployment';
import { createWorker } from '../worker/worker';

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

/** A worker process for the server deployment (docker-compose): scale by running more. */
export async function runWorker(config: Config, log: Logger): Promise<() => Promise<void>> {
  installTemporalRuntime(log);
  const db = connect(required(config.databaseUrl, 'DATABASE_URL'));
  await migrate(db);
  const destinations = await configuredDestinations(config);
  const connection = await NativeConnection.connect(sharedTemporal(config));
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
  const done = worker.run();
  // The first build of an installation becomes current by itself; promoting a later one is a
  // deliberate step of the rollout (docs/upgrading.md), taken once its workers poll.
  const current = await makeCurrent(connection.workflowService, config.temporal.namespace, version, {
    unlessSet: true,
    log,
  });
  const { address, namespace, source } = config.temporal;
  log.info(
    {
      temporal: { address, namespace, source },
      taskQueue: config.temporal.taskQueue,
      destinations: destinations.map((d) => d.name),
      deploymentName: version.deploymentName,
      buildId: version.buildId,
      current: current.buildId === version.buildId,
    },
    'worker running',
  );
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await done;
    await connection.close();
    await db.close();
  };
}

/**
 * An API process for the server deployment; also keeps the schedules up to date. It reads and
 * changes cohort definitions in Postgres and the catalog folder, so it migrates like a worker.
 */
export async function runServer(config: Config, log: Logger): Promise<() => Promise<void>> {
  const tokens = required(config.tokens, 'COHORTFLOW_TOKENS');
  const db = connect(required(config.databaseUrl, 'DATABASE_URL'));
  await migrate(db);
  const connection = await Connection.connect(sharedTemporal(config));
  await ensureSearchAttributes(connection, config.temporal.namespace, log);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const policy = policyOf(config);
  await ensureSchedules(client, config.temporal.taskQueue, policy, config.rollback.watchWindow);
  // Reconcile sends from the API process, so it needs the same destinations as the workers.
  const destinations = await configuredDestinations(config);
  const api = createApi({
    refreshes: new RefreshClient(client, config.temporal.taskQueue, policy, config.rollback.watchWindow),
    cohorts: { db, catalogDir: config.catalogDir },
    tokens,
    log,
    destinations: () => destinations,
  });
  await api.listen({ host: config.api.host, port: config.api.port });
  return async () => {
    await api.close();
    await connection.close();
    await db.close();
  };
}
