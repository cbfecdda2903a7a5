import type { Logger } from './log';

const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENOENT|terminated|starting up|shutting down|timeout|unavailable|tcp connect|transport|deadline/i;

/** An error that says the other side is not there (yet), as opposed to one it answered with. */
export function looksUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  // 57P03: the database system is starting up; 14: gRPC UNAVAILABLE; 4: DEADLINE_EXCEEDED.
  if (e?.code === '57P03' || e?.code === 14 || e?.code === 4) return true;
  return UNAVAILABLE.test(`${String(e?.code ?? '')} ${String(e?.name ?? '')} ${String(e?.message ?? '')}`);
}

/**
 * Tries `attempt` until it succeeds (1 s doubling to 30 s between tries), logging each failure
 * with `what`: a worker or API process started before its database or Temporal server waits for
 * it instead of exiting and needing a hand restart. An error that is not about availability (a
 * refused password, a broken migration) is thrown at once.
 */
export async function untilAvailable<T>(what: string, attempt: () => Promise<T>, log: Logger): Promise<T> {
  let delay = 1_000;
  for (let tries = 1; ; tries++) {
    try {
      const result = await attempt();
      if (tries > 1) log.info({ tries }, `${what}: available`);
      return result;
    } catch (err) {
      if (!looksUnavailable(err)) throw err;
      log.warn({ err: (err as Error).message, tries, retryInMs: delay }, `${what}: not available yet; retrying`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }
}
