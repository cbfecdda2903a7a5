import { isGrpcServiceError } from '@temporalio/client';

// Which dependency an error says is away: PostgreSQL restarting, Temporal out. The API answers
// those with a 503 naming it (and /health says the same), not a 500 that reads like a bug.

/** gRPC UNAVAILABLE and DEADLINE_EXCEEDED: the frontend is not there or does not answer. */
const TEMPORAL_AWAY = new Set([14, 4]);
/** Connection refused or cut, the server shutting down or starting up, a connect that timed out. */
const POSTGRES_AWAY = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08001',
  '08006',
]);

export function awayDependency(err: unknown): 'PostgreSQL' | 'Temporal' | undefined {
  for (
    let e = err as { cause?: unknown; code?: unknown; message?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (isGrpcServiceError(e) && TEMPORAL_AWAY.has(e.code)) return 'Temporal';
    if (typeof e.code === 'string' && POSTGRES_AWAY.has(e.code)) return 'PostgreSQL';
    if (/Connection terminated|timeout exceeded when trying to connect/.test(String(e.message ?? '')))
      return 'PostgreSQL';
    e = e.cause as typeof e;
  }
  return undefined;
}
