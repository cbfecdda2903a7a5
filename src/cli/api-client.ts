import type { Answer, RouteCall, RouteContract } from '../api/schemas/contract';

interface ApiError {
  message?: string;
  issues?: Array<{ path: string; message: string }>;
}

/** The API could not be reached at all: the message names the address and where it came from. */
export class Unreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Unreachable';
  }
}

/** Where the CLI looks for the API, and which setting said so (errors name both). */
export function apiAddress(env: NodeJS.ProcessEnv = process.env): { base: string; from: string } {
  if (env.COHORTFLOW_API_URL) return { base: env.COHORTFLOW_API_URL.replace(/\/+$/, ''), from: 'COHORTFLOW_API_URL' };
  if (env.API_PORT)
    return { base: `http://127.0.0.1:${env.API_PORT}`, from: 'API_PORT (COHORTFLOW_API_URL is not set)' };
  return {
    base: 'http://127.0.0.1:3000',
    from: 'the default (set COHORTFLOW_API_URL to the address npm start prints)',
  };
}

/** How long a call may take before the CLI says the API does not answer. */
const CALL_TIMEOUT_MS = 60_000;

/**
 * Calls one route of the HTTP API through its contract, with a bearer token, so the CLI obeys
 * the same roles as everyone and its requests and answers have the types of the route's schemas.
 */
export async function callRoute<C extends RouteContract>(contract: C, request: RouteCall<C>): Promise<Answer<C>> {
  const { base, from } = apiAddress();
  const token = process.env.COHORTFLOW_TOKEN;
  if (!token)
    throw new Error(
      'set COHORTFLOW_TOKEN to your API token (npm start prints demo tokens; they are in .data/demo-tokens.json)',
    );
  const params = (request.params ?? {}) as Record<string, string | number>;
  const path = contract.url.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(String(params[name])));
  const query = new URLSearchParams(
    Object.entries((request.query ?? {}) as Record<string, unknown>)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]): [string, string] => [key, String(value)]),
  );
  const route = `${path}${query.size ? `?${query}` : ''}`;
  const body = request.body;
  let response: Response;
  try {
    response = await fetch(`${base}${route}`, {
      method: contract.method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      (err as Error).name === 'TimeoutError'
        ? `no answer within ${CALL_TIMEOUT_MS / 1000} s`
        : (cause?.code ?? cause?.message ?? (err as Error).message);
    throw new Unreachable(`cannot reach the cohortflow API at ${base} (from ${from}): ${why}`, { cause: err });
  }
  const payload = (await response.json().catch(() => ({}))) as Answer<C> & ApiError;
  if (!response.ok) {
    // Every problem on its own line: a person fixes them all in one pass.
    const detail = payload.issues
      ? `invalid request:\n${payload.issues.map((i) => `  ${i.path || '(body)'}: ${i.message}`).join('\n')}`
      : (payload.message ?? response.statusText);
    // A token refused is often a token of another instance: say which API refused it.
    const where =
      response.status === 401
        ? ` — the API at ${base} (from ${from}) does not know COHORTFLOW_TOKEN; is that the instance that issued it?`
        : '';
    throw new Error(`${contract.method} ${route} → ${response.status}: ${detail}${where}`);
  }
  return payload;
}
