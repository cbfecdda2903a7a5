import type { Queryable } from '../data/db';
import type { CohortDefinition } from './definition';
import { reachableDefinitions } from './run-compute';
import type { ModelKind } from './score-measures';

// A stored snapshot explained as it was computed: the definitions its run planned and the scores
// its run stored (run_scores, by the model versions its lineage names), not what holds now.

export interface StoredSnapshot {
  snapshotId: string;
  /** The run that computed it: its definitions and its scores. */
  runId: string;
  asOf: Date;
  definitionVersion: number;
  /** The model versions whose scores its rule read, by kind. */
  modelVersions: Partial<Record<ModelKind, string>>;
  published: boolean;
}

/**
 * `published`: the cohort's current snapshot. An asOf: a snapshot of the cohort computed at
 * exactly that moment, the current one first, then the newest one ever published, then the
 * newest computed. Undefined when there is none: the asOf is ad hoc.
 */
export async function snapshotToExplain(
  db: Queryable,
  cohortId: string,
  asOf: Date | 'published',
): Promise<StoredSnapshot | undefined> {
  const r = await db.query<{
    snapshot_id: string;
    run_id: string;
    as_of: Date;
    definition_version: number;
    model_versions: Partial<Record<ModelKind, string>>;
    published: boolean;
  }>(
    `SELECT s.snapshot_id, s.run_id, s.as_of, s.definition_version, s.model_versions, cc.snapshot_id IS NOT NULL AS published
     FROM cohort_snapshots s LEFT JOIN cohort_current cc ON cc.snapshot_id = s.snapshot_id AND cc.cohort_id = s.cohort_id
     WHERE s.cohort_id = $1 AND ($2::timestamptz IS NULL AND cc.snapshot_id IS NOT NULL OR s.as_of = $2::timestamptz)
     ORDER BY cc.snapshot_id IS NOT NULL DESC,
              EXISTS (SELECT 1 FROM published_versions pv WHERE pv.snapshot_id = s.snapshot_id) DESC,
              s.created_at DESC, s.snapshot_id
     LIMIT 1`,
    [cohortId, asOf === 'published' ? null : asOf.toISOString()],
  );
  const x = r.rows[0];
  return x
    ? {
        snapshotId: x.snapshot_id,
        runId: x.run_id,
        asOf: x.as_of,
        definitionVersion: x.definition_version,
        modelVersions: x.model_versions,
        published: x.published,
      }
    : undefined;
}

/** The cohort's definition and those it reaches, as the snapshot's run planned them; undefined if the run planned none. */
export async function snapshotDefinitions(
  db: Queryable,
  cohortId: string,
  snapshot: StoredSnapshot,
): Promise<{ definition: CohortDefinition; catalog: Map<string, CohortDefinition> } | undefined> {
  const planned = await reachableDefinitions(db, snapshot.runId, cohortId);
  const own = planned.get(cohortId);
  if (!own || own.version !== snapshot.definitionVersion) return undefined;
  return { definition: own.definition, catalog: new Map([...planned].map(([id, d]) => [id, d.definition])) };
}

/** Whether a snapshot holds the customer: one block of its members. */
export async function snapshotHolds(db: Queryable, snapshotId: string, customerNo: number): Promise<boolean> {
  const r = await db.query<{ member: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM snapshot_chunks k WHERE k.snapshot_id = $1 AND k.block = $2::int >> 16 AND $2::int = ANY (k.members)) AS member`,
    [snapshotId, customerNo],
  );
  return r.rows[0]!.member;
}
