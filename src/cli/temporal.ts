import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';
import { connectionOptions } from '../temporal/connection';

/** Which setting named the Temporal address the CLI uses: errors say it, so a person knows what to change. */
export function temporalAddressSource(config: Config): string {
  if (config.temporal.address)
    return process.env.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : `the address in ${config.temporal.source}`;
  return `TEMPORAL_PORT${process.env.TEMPORAL_PORT ? '' : ' (default 7233)'}, the local dev server npm start runs; set TEMPORAL_ADDRESS for another server`;
}

/** A client for the commands that read Temporal directly (schedules, replay). */
export async function withTemporal<T>(config: Config, fn: (client: Client) => Promise<T>): Promise<T> {
  // No server configured: the dev server `npm start` runs on this machine.
  const options = connectionOptions(config.temporal);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...options, connectTimeout: '5s' });
  } catch (err) {
    throw new Error(
      `cannot reach Temporal at ${options.address} (from ${temporalAddressSource(config)}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    return await fn(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}
