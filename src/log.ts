import pino, { type Logger } from 'pino';

export type { Logger };

/** One structured logger; children carry runId, workflowId and cohortId. */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'cohortflow', level });
}
