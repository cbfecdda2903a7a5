/** The CLI talks to the HTTP API with a bearer token, so it obeys the same roles as everyone. */
export async function callApi<T>(method: 'GET' | 'POST', route: string, body?: unknown): Promise<T> {
  const base = process.env.COHORTFLOW_API_URL ?? `http://127.0.0.1:${process.env.API_PORT ?? 3000}`;
  const token = process.env.COHORTFLOW_TOKEN;
  if (!token) throw new Error('set COHORTFLOW_TOKEN to your API token (npm start prints demo tokens; they are in .data/demo-tokens.json)');
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const payload = (await response.json().catch(() => ({}))) as T & { message?: string; issues?: unknown };
  if (!response.ok) {
    const detail = payload.issues ? JSON.stringify(payload.issues) : payload.message ?? response.statusText;
    throw new Error(`${method} ${route} → ${response.status}: ${detail}`);
  }
  return payload;
}
