import type { CheckResult } from '../shared';
import type { DefinitionChange } from '../cohorts/definition-diff';
import { FIRST_PUBLISH } from './thresholds';

/** The definition versions between the published snapshot's and this one's, with what changed. */
export interface DefinitionHistory {
  version: number;
  publishedVersion: number;
  diff: DefinitionChange[];
  /** Versions after the published one up to this one, oldest first. */
  versions: Array<{ version: number; author: string; change: string; rationale: string }>;
}

/** Distinct authors in the order they wrote: the people who may not approve this run. */
export const authorsOf = (h: DefinitionHistory | null): string[] => [
  ...new Set((h?.versions ?? []).map((v) => v.author)),
];

/**
 * A new definition version always warns: the other checks compare members chosen by different
 * rules, so a person reads the diff and who wrote it before it is published.
 */
export function definitionChangeCheck(
  version: number,
  publishedVersion: number | null,
  history: DefinitionHistory | null,
): CheckResult {
  if (publishedVersion === null)
    return {
      name: 'definition_change',
      verdict: 'pass',
      reason: FIRST_PUBLISH,
      figures: { version, publishedVersion: null, changes: null },
      thresholds: {},
    };
  if (!history || version === publishedVersion) {
    return {
      name: 'definition_change',
      verdict: 'pass',
      reason: `definition version ${version}, the same as the published snapshot's`,
      figures: { version, publishedVersion, changes: 0 },
      thresholds: {},
    };
  }
  const authors = authorsOf(history);
  const paths = history.diff.map((d) => d.path);
  const shown =
    paths.length > 3
      ? `${paths.slice(0, 3).join(', ')} and ${paths.length - 3} more`
      : paths.join(', ') || 'no field (same content)';
  return {
    name: 'definition_change',
    verdict: 'warn',
    reason: `definition version ${version} differs from the published version ${publishedVersion}: ${paths.length} change(s) (${shown}) by ${authors.join(', ') || 'nobody recorded'}`,
    figures: { version, publishedVersion, changes: paths.length, authors: authors.join(', ') },
    thresholds: {},
    details: { diff: history.diff, versions: history.versions },
  };
}
