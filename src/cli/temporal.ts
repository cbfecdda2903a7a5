import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { connectionOptions } from '../temporal/connection';

/** A client for the commands that read Temporal directly (schedules, replay). */
export async function withTemporal<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  // No server configured: the dev server `npm start` runs on this machine.
  const connection = await Connection.connect(connectionOptions(config.temporal));
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}
