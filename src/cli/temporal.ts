import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';

/** A client for the commands that read Temporal directly (schedules, replay). */
export async function withTemporal<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({
    address: config.temporal.address ?? `127.0.0.1:${config.temporal.port}`,
  });
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}
