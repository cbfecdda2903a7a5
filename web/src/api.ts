import type { Answer, RouteContract } from '../../src/api/schemas/contract';

// Every page reads and writes through the same HTTP API as the CLI, typed by the same route
// contracts (types only: no schema code reaches the browser). The session cookie goes along by
// itself; a change also carries the session's CSRF token.

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
export const useCsrfToken = (token: string | undefined) => (csrfToken = token);

let onSignedOut: () => void = () => undefined;
/** What to do when the server says the session is gone (expired, signed out elsewhere). */
export const whenSignedOut = (handler: () => void) => (onSignedOut = handler);

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' && csrfToken ? { 'x-csrf-token': csrfToken } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const payload = (await response.json().catch(() => ({}))) as {
    error?: string;
    message?: string;
    issues?: Array<{ path: string; message: string }>;
  };
  if (!response.ok) {
    if (response.status === 401 && url !== '/session') onSignedOut();
    const detail = payload.issues?.length
      ? payload.issues.map((i) => `${i.path || 'body'}: ${i.message}`).join('; ')
      : (payload.message ?? response.statusText);
    throw new ApiFailure(response.status, payload.error ?? 'error', detail);
  }
  return payload as T;
}

/** A GET of one route; the answer has the type of the route's schema. */
export const get = <C extends RouteContract>(url: string) => request<Answer<C>>('GET', url);

/** A change through one route. */
export const send = <C extends RouteContract>(method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
  request<Answer<C>>(method, url, body ?? {});

/** A path segment or query value, escaped. */
export const enc = encodeURIComponent;

export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}
