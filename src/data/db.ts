import pg from 'pg';

// bigint counts come back as strings by default; ours fit in a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

/** Anything that runs a parameterised statement: the pool, or one transaction's client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
}

/** The one handle on PostgreSQL (a server, or the embedded one `npm start` runs). */
export interface Db {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Runs fn in one transaction on one connection: fn uses the client it is given. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  readonly url: string;
}

/** How long a new connection may take: an unreachable server fails a statement, it does not hang it. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A pool that outlives its server: a restart or an outage fails the statements in flight (the
 * activity running them retries, the API answers an error) and the next statement reconnects.
 * Nothing here may let a connection's 'error' event reach the process unhandled.
 */
export function connect(url: string, options: { max?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  });
  // An idle client's error (server restart): the pool drops it; the next query reconnects.
  pool.on('error', () => undefined);
  return {
    url,
    // pool.query listens for the client's errors itself while it holds one.
    query: (text, params) => pool.query(text, params as unknown[]),
    async transaction(fn) {
      const client = await pool.connect();
      // A checked-out client has no listener of the pool's: its connection dying (the server
      // stopped mid-transaction) would otherwise be an unhandled 'error' that ends the process.
      let lost: Error | undefined;
      const onError = (err: Error) => (lost ??= err);
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (!lost) await client.query('ROLLBACK').catch((rollbackFailed: Error) => (lost ??= rollbackFailed));
        throw err;
      } finally {
        client.off('error', onError);
        // A broken connection is destroyed, never handed to the next caller.
        client.release(lost);
      }
    },
    close: () => pool.end(),
  };
}
