import type { Issue } from './errors';

// PostgreSQL text holds no NUL character and no half of a surrogate pair (it is not UTF-8), and
// a run would fail on one long after the API had answered 202. Every string a request carries —
// path, query or body, whatever the route — is checked before anything starts.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function problemOf(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which text cannot hold';
  if (LONE_SURROGATE.test(text)) return 'contains half of a UTF-16 surrogate pair, which is not valid Unicode';
  return undefined;
}

/** Every string in the value that text cannot hold, with its path. */
export function unstorableText(value: unknown, at: Array<string | number> = []): Issue[] {
  if (typeof value === 'string') {
    const problem = problemOf(value);
    return problem ? [{ path: at.join('.'), message: problem }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unstorableText(v, [...at, i]));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [
      ...(problemOf(k) ? [{ path: [...at, k].join('.'), message: `its name ${problemOf(k)}` }] : []),
      ...unstorableText(v, [...at, k]),
    ]);
  return [];
}
