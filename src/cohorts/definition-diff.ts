import { canonicalJson } from '../cohorts/canonical';

// What changed between two versions of a cohort definition, as a person reviews it: one entry
// per changed leaf or per added/removed subtree, at a path like rule.all.1.event.count.gte.

export interface DefinitionChange {
  path: string;
  /** Absent when the path was added. */
  before?: unknown;
  /** Absent when the path was removed. */
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Paths in key order (arrays by index), so the same two versions always give the same list. */
export function definitionDiff(before: unknown, after: unknown, at: Array<string | number> = []): DefinitionChange[] {
  if (canonicalJson(before) === canonicalJson(after)) return [];
  const path = at.length ? at.join('.') : '(definition)';
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
      .filter((k) => before[k] !== undefined || after[k] !== undefined)
      .sort();
    return keys.flatMap((k) => {
      if (before[k] === undefined) return [{ path: [...at, k].join('.'), after: after[k] }];
      if (after[k] === undefined) return [{ path: [...at, k].join('.'), before: before[k] }];
      return definitionDiff(before[k], after[k], [...at, k]);
    });
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    return Array.from({ length: Math.max(before.length, after.length) }, (_, i) => {
      if (i >= before.length) return [{ path: [...at, i].join('.'), after: after[i] }];
      if (i >= after.length) return [{ path: [...at, i].join('.'), before: before[i] }];
      return definitionDiff(before[i], after[i], [...at, i]);
    }).flat();
  }
  return [{ path, before, after }];
}
