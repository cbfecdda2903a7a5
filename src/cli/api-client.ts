import type { Answer, RouteCall, RouteContract } from '../api/schemas/contract';

interface ApiError {
  message?: string;
  issues?: Array<{ path: string; message: string }>;
}

/**
 * Calls one route of the HTTP API through its contract, with a bearer token, so the CLI obeys
 * the same roles as everyone and its requests and answers have the types of the route's schemas.
 */
export async function callRoute<C extends RouteContract>(contract: C, request: RouteCall<C>): Promise<Answer<C>> {
  const base = process.env.COHORTFLOW_API_URL ?? `http://127.0.0.1:${process.env.API_PORT ?? 3000}`;
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
  const response = await fetch(`${base}${route}`, {
    method: contract.method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = (await response.json().catch(() => ({}))) as Answer<C> & ApiError;
  if (!response.ok) {
    // Every problem on its own line: a person fixes them all in one pass.
    const detail = payload.issues
      ? `invalid request:\n${payload.issues.map((i) => `  ${i.path || '(body)'}: ${i.message}`).join('\n')}`
      : (payload.message ?? response.statusText);
    throw new Error(`${contract.method} ${route} → ${response.status}: ${detail}`);
  }
  return payload;
}
