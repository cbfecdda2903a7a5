import type { CheckResult, ShadowEvidence, UpstreamChange } from '../shared';
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
  upstream: UpstreamChange[] = [],
  shadows: ShadowEvidence[] = [],
  shadowText: (e: ShadowEvidence) => string = (e) => `promoted from shadow ${e.shadowId}`,
): CheckResult {
  const upstreamText = upstream
    .map(
      (u) => `${u.cohortId} v${u.fromVersion ?? '–'}→v${u.toVersion} by ${u.authors.join(', ') || 'nobody recorded'}`,
    )
    .join('; ');
  const upstreamFigures: Record<string, number | string> = upstream.length
    ? { upstreamChanges: upstream.length, upstreamAuthors: [...new Set(upstream.flatMap((u) => u.authors))].join(', ') }
    : {};
  if (publishedVersion === null)
    return {
      name: 'definition_change',
      verdict: 'pass',
      reason: FIRST_PUBLISH,
      figures: { version, publishedVersion: null, changes: null },
      thresholds: {},
    };
  if ((!history || version === publishedVersion) && upstream.length > 0) {
    // Its own rule is the published one, but a cohort it refers to changed: members move all the same.
    return {
      name: 'definition_change',
      verdict: 'warn',
      reason: `definition version ${version} as published, but cohorts it refers to changed: ${upstreamText}`,
      figures: { version, publishedVersion, changes: 0, ...upstreamFigures },
      thresholds: {},
      details: { upstream },
    };
  }
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
    reason: `definition version ${version} differs from the published version ${publishedVersion}: ${paths.length} change(s) (${shown}) by ${authors.join(', ') || 'nobody recorded'}${upstream.length ? `; cohorts it refers to changed: ${upstreamText}` : ''}${shadows.map((e) => `; ${shadowText(e)}`).join('')}`,
    figures: { version, publishedVersion, changes: paths.length, authors: authors.join(', '), ...upstreamFigures },
    thresholds: {},
    details: {
      diff: history.diff,
      versions: history.versions,
      ...(upstream.length ? { upstream } : {}),
      ...(shadows.length ? { shadows } : {}),
    },
  };
}
