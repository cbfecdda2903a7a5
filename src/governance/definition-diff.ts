// A structural diff of two stored definitions (cohort_definitions.definition, jsonb): one entry
// per leaf that differs, so a reviewer reads "rule.event.count.gte: 3 → 4" instead of two
// documents. Used by the cohort history and meant for anything else that compares versions.

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * One difference. `path` is dotted, array elements by index (rule.all.1.event.within); '' is the
 * whole definition. `before` is absent when the path was added, `after` when it was removed.
 */
export interface DefinitionChange {
  path: string;
  before?: Json;
  after?: Json;
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
const join = (path: string, key: string | number) => (path === '' ? String(key) : `${path}.${key}`);

/** The differences between two definitions, in document order (before's keys first, then added keys). */
export function diffDefinitions(before: Json | undefined, after: Json | undefined): DefinitionChange[] {
  const changes: DefinitionChange[] = [];
  const walk = (a: Json | undefined, b: Json | undefined, path: string) => {
    if (a === undefined && b === undefined) return;
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], join(path, key));
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i += 1) walk(a[i], b[i], join(path, i));
      return;
    }
    if (a === b) return; // equal leaves (objects and arrays were walked above)
    changes.push({ path, ...(a === undefined ? {} : { before: a }), ...(b === undefined ? {} : { after: b }) });
  };
  walk(before, after, '');
  return changes;
}
