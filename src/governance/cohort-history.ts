import type { Queryable } from '../data/db';
import type { DefinitionChange as VersionChange } from '../cohorts/versions';
import { definitionDiff, type DefinitionChange } from '../cohorts/definition-diff';
import { noteOf, type Note } from './learnings';

// A cohort's changelog: for every published version, what was published, why and by whose
// decision, how membership moved, what changed in the definition, what the baseline tests found
// and what people noted. Member lists stay in Postgres: only counts come out.

export interface DefinitionVersionSummary {
  version: number;
  change: VersionChange;
  author: string;
  rationale: string;
  createdAt: string;
}

export interface Approval {
  actor: string;
  action: string;
  at: string;
  comment: string | null;
  cohorts?: string[];
}

export interface TopReason {
  name: string;
  subject?: string;
  verdict: string;
  reason: string;
}

export interface PublishedVersionEntry {
  version: number;
  publishedAt: string;
  runId: string;
  requestedBy: string | null;
  rationale: string | null;
  /** null: a rollback of the cohort's first publish withdrew it (no current snapshot). */
  snapshotId: string | null;
  previousSnapshotId: string | null;
  size: number;
  previousSize: number | null;
  /** Versus the snapshot this publish replaced (what destinations were sent). */
  adds: number;
  removes: number;
  definition: DefinitionVersionSummary & {
    previousVersion: number | null;
    changed: boolean;
    /** When changed: the structural diff from the previous published definition. */
    diff: DefinitionChange[];
    /** When changed: every version recorded since the previous published one, oldest first. */
    recordedSince: DefinitionVersionSummary[];
  };
  approvedBy: string;
  approvals: Approval[];
  report: { verdict: string; reasons: TopReason[] } | null;
  notes: Note[];
  /** Set when this version is a rollback (docs/rollback.md): the version made current again, and why. */
  rollback?: { restoresVersion: number | null; reason: string | null };
}

export interface CohortHistory {
  cohortId: string;
  versions: PublishedVersionEntry[];
}

const MAX_REASONS = 5;

interface VersionRow {
  version: number;
  published_at: Date;
  run_id: string;
  approved_by: string;
  snapshot_id: string | null;
  previous_snapshot_id: string | null;
  restores_version: number | null;
  reason: string | null;
  requested_by: string | null;
  rationale: string | null;
  size: number;
  definition_version: number;
  previous_size: number | null;
  previous_definition_version: number | null;
  adds: number;
  removes: number;
  report_verdict: string | null;
  checks: unknown;
}

/**
 * The latest `limit` published versions of a cohort, newest first. Adds and removes compare the
 * two snapshots block by block over snapshot_chunks' primary key; each block's arrays meet once.
 */
async function publishedVersions(db: Queryable, cohortId: string, limit: number): Promise<VersionRow[]> {
  const r = await db.query<VersionRow>(
    `WITH shown AS (SELECT * FROM published_versions WHERE cohort_id = $1 ORDER BY version DESC LIMIT $2)
     SELECT pv.version, pv.published_at, pv.run_id, pv.approved_by, pv.snapshot_id, pv.previous_snapshot_id, pv.restores_version, pv.reason,
            r.requested_by, r.rationale, COALESCE(s.size, 0) AS size, COALESCE(s.definition_version, p.definition_version) AS definition_version,
            p.size AS previous_size, p.definition_version AS previous_definition_version,
            m.adds, m.removes, b.verdict AS report_verdict, b.checks
     FROM shown pv
     -- A withdrawal (rollback of a first publish) has no snapshot: size 0, every member removed.
     LEFT JOIN cohort_snapshots s ON s.snapshot_id = pv.snapshot_id
     LEFT JOIN cohort_snapshots p ON p.snapshot_id = pv.previous_snapshot_id
     LEFT JOIN runs r ON r.run_id = pv.run_id
     LEFT JOIN baseline_reports b ON b.run_id = pv.run_id AND b.cohort_id = pv.cohort_id
     -- Adds and removes against the replaced snapshot (migration 006's shared-member count).
     CROSS JOIN LATERAL (SELECT cohortflow_shared_members(pv.snapshot_id, pv.previous_snapshot_id) AS shared) sh
     CROSS JOIN LATERAL (SELECT COALESCE(s.size, 0) - sh.shared AS adds, COALESCE(p.size, 0) - sh.shared AS removes) m
     ORDER BY pv.version DESC`,
    [cohortId, limit],
  );
  return r.rows;
}

/** Whether anything was ever recorded or published for the cohort. */
export async function cohortKnown(db: Queryable, cohortId: string): Promise<boolean> {
  const r = await db.query(
    'SELECT 1 FROM cohort_definitions WHERE cohort_id = $1 UNION ALL SELECT 1 FROM published_versions WHERE cohort_id = $1 LIMIT 1',
    [cohortId],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function cohortHistory(
  db: Queryable,
  cohortId: string,
  options: { limit: number },
): Promise<CohortHistory> {
  const rows = await publishedVersions(db, cohortId, options.limit);
  if (rows.length === 0) return { cohortId, versions: [] };
  const runIds = rows.map((v) => v.run_id);
  const versionsUsed = rows.flatMap((v) => [
    v.definition_version,
    v.previous_definition_version ?? v.definition_version,
  ]);

  const definitions = await db.query<{
    version: number;
    change: VersionChange;
    author: string;
    rationale: string;
    created_at: Date;
    definition: unknown;
  }>(
    'SELECT version, change, author, rationale, created_at, definition FROM cohort_definitions WHERE cohort_id = $1 AND version BETWEEN $2 AND $3 ORDER BY version',
    [cohortId, Math.min(...versionsUsed), Math.max(...versionsUsed)],
  );
  const definitionOf = new Map(definitions.rows.map((d) => [d.version, d]));
  const versionSummary = (version: number): DefinitionVersionSummary => {
    const d = definitionOf.get(version);
    return {
      version,
      change: d?.change ?? 'update',
      author: d?.author ?? '(unknown)',
      rationale: d?.rationale ?? '(not recorded)',
      createdAt: d?.created_at.toISOString() ?? '',
    };
  };

  // Relies on audit_log_run_idx.
  const decisions = await db.query<{
    run_id: string;
    actor: string;
    action: string;
    at: Date;
    details: { comment?: string | null; cohorts?: unknown };
  }>(
    `SELECT run_id, actor, action, at, details FROM audit_log WHERE run_id = ANY($1::text[]) AND action LIKE 'decision.%' ORDER BY id`,
    [runIds],
  );
  const notes = await db.query<Parameters<typeof noteOf>[0]>(
    `SELECT * FROM learnings WHERE (run_id = ANY($1::text[]) AND (cohort_id IS NULL OR cohort_id = $2)) OR (run_id IS NULL AND cohort_id = $2)
     ORDER BY at, id`,
    [runIds, cohortId],
  );

  const versions = rows.map((v, i): PublishedVersionEntry => {
    const previousVersion = v.previous_definition_version;
    const changed = previousVersion !== null && previousVersion !== v.definition_version;
    const recordedSince =
      changed && previousVersion < v.definition_version
        ? definitions.rows
            .filter((d) => d.version > previousVersion && d.version <= v.definition_version)
            .map((d) => versionSummary(d.version))
        : [];
    const approvals = decisions.rows
      .filter(
        (d) => d.run_id === v.run_id && (!Array.isArray(d.details.cohorts) || d.details.cohorts.includes(cohortId)),
      )
      .map((d) => ({
        actor: d.actor,
        action: d.action,
        at: d.at.toISOString(),
        comment: d.details.comment ?? null,
        ...(Array.isArray(d.details.cohorts) ? { cohorts: d.details.cohorts as string[] } : {}),
      }));
    return {
      version: v.version,
      publishedAt: v.published_at.toISOString(),
      runId: v.run_id,
      requestedBy: v.requested_by,
      rationale: v.rationale,
      snapshotId: v.snapshot_id,
      previousSnapshotId: v.previous_snapshot_id,
      size: v.size,
      previousSize: v.previous_size,
      adds: v.adds,
      removes: v.removes,
      definition: {
        ...versionSummary(v.definition_version),
        previousVersion,
        changed,
        diff: changed
          ? definitionDiff(
              definitionOf.get(previousVersion)?.definition,
              definitionOf.get(v.definition_version)?.definition,
            )
          : [],
        recordedSince,
      },
      approvedBy: v.approved_by,
      approvals,
      report: v.report_verdict === null ? null : { verdict: v.report_verdict, reasons: topReasons(v.checks) },
      notes: notes.rows.filter((n) => belongsTo(n, rows, i)).map(noteOf),
      ...(v.reason !== null || v.restores_version !== null
        ? { rollback: { restoresVersion: v.restores_version, reason: v.reason } }
        : {}),
    };
  });
  return { cohortId, versions };
}

/**
 * A run's note goes with the version that run published; a note on the cohort alone goes with
 * the version that was live when it was written (before the first publish: the first version).
 */
function belongsTo(note: { run_id: string | null; at: Date }, rows: VersionRow[], i: number): boolean {
  if (note.run_id !== null) return note.run_id === rows[i]!.run_id;
  const live = rows.findIndex((v) => v.published_at <= note.at);
  if (live >= 0) return live === i;
  return i === rows.length - 1 && rows[i]!.version === 1;
}

/** The checks that did not pass, fails before warns, at most five: what an approver read first. */
export function topReasons(checks: unknown): TopReason[] {
  if (!Array.isArray(checks)) return [];
  const rank = (verdict: string) => (verdict === 'fail' ? 0 : verdict === 'warn' ? 1 : 2);
  return (checks as Array<Partial<TopReason>>)
    .filter((c) => typeof c === 'object' && c !== null && c.verdict !== 'pass')
    .map((c) => ({
      name: String(c.name ?? '(unnamed)'),
      ...(typeof c.subject === 'string' ? { subject: c.subject } : {}),
      verdict: String(c.verdict ?? '(none)'),
      reason: String(c.reason ?? ''),
    }))
    .sort((a, b) => rank(a.verdict) - rank(b.verdict))
    .slice(0, MAX_REASONS);
}
