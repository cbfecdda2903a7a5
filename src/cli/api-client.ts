type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface ApiError {
  message?: string;
  issues?: Array<{ path: string; message: string }>;
}

/** The CLI talks to the HTTP API with a bearer token, so it obeys the same roles as everyone. */
export async function callApi<T>(method: Method, route: string, body?: unknown): Promise<T> {
  const base = process.env.COHORTFLOW_API_URL ?? `http://127.0.0.1:${process.env.API_PORT ?? 3000}`;
  const token = process.env.COHORTFLOW_TOKEN;
  if (!token)
    throw new Error(
      'set COHORTFLOW_TOKEN to your API token (npm start prints demo tokens; they are in .data/demo-tokens.json)',
    );
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = (await response.json().catch(() => ({}))) as T & ApiError;
  if (!response.ok) {
    // Every problem on its own line: a person fixes them all in one pass.
    const detail = payload.issues
      ? `invalid request:\n${payload.issues.map((i) => `  ${i.path || '(body)'}: ${i.message}`).join('\n')}`
      : (payload.message ?? response.statusText);
    throw new Error(`${method} ${route} → ${response.status}: ${detail}`);
  }
  return payload;
}
