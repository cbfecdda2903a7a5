import crypto from 'node:crypto';
import { Context } from '@temporalio/activity';
import { InvalidDefinitionError, loadCatalog } from '../cohorts/catalog';
import { compileCohort } from '../cohorts/compile';
import { CohortDefinition } from '../cohorts/definition';
import type { SnapshotRef, TierScope } from '../workflows/types';
import { activityLog, invalidInput } from './context';
import type { ActivityDeps } from './deps';

export interface PlannedCohort {
  cohortId: string;
  definitionVersion: number;
}

/**
 * Validates the catalog, records a new version for every definition whose content changed,
 * and returns the active cohorts in scope. An invalid catalog stops the run: no retry fixes it.
 */
export async function planCompute(deps: ActivityDeps, input: { runId: string; asOf: string; tier: TierScope; author: string; rationale: string }): Promise<PlannedCohort[]> {
  await deps.db.query('UPDATE runs SET as_of = $2 WHERE run_id = $1', [input.runId, input.asOf]);
  let catalog;
  try {
    catalog = await loadCatalog(deps.catalogDir);
  } catch (err) {
    if (err instanceof InvalidDefinitionError) throw invalidInput(err.message);
    throw err;
  }
  const inScope = catalog.filter((e) => e.definition.status === 'active' && (input.tier === 'all' || e.definition.tier === input.tier));
  const planned: PlannedCohort[] = [];
  for (const { definition, contentHash } of inScope) {
    const version = await deps.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`definition:${definition.id}`]);
      const existing = await tx.query<{ version: number }>('SELECT version FROM cohort_definitions WHERE cohort_id = $1 AND content_hash = $2', [definition.id, contentHash]);
      if (existing.rows[0]) return existing.rows[0].version;
      const next = await tx.query<{ version: number }>(
        `INSERT INTO cohort_definitions (cohort_id, version, content_hash, definition, tier, author, rationale)
         SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5, $6 FROM cohort_definitions WHERE cohort_id = $1
         RETURNING version`,
        [definition.id, contentHash, definition, definition.tier, `${definition.owner} (via ${input.author})`, input.rationale],
      );
      return next.rows[0]!.version;
    });
    planned.push({ cohortId: definition.id, definitionVersion: version });
  }
  activityLog(deps.log, { runId: input.runId }).info({ cohorts: planned.length, tier: input.tier }, 'planned compute');
  return planned;
}

/** Deterministic, so a retry of the same (run, cohort) lands on the same snapshot. */
export const snapshotIdOf = (runId: string, cohortId: string) =>
  `snap_${crypto.createHash('sha256').update(`${runId}\n${cohortId}`).digest('hex').slice(0, 24)}`;

/**
 * Evaluates one cohort set-based inside Postgres into an immutable snapshot. Idempotent per
 * (run, cohort): the snapshot and its members are written in one transaction, or not at all.
 */
export async function computeCohort(deps: ActivityDeps, input: { runId: string; cohortId: string; definitionVersion: number; asOf: string }): Promise<SnapshotRef> {
  const log = activityLog(deps.log, { runId: input.runId, cohortId: input.cohortId });
  const snapshotId = snapshotIdOf(input.runId, input.cohortId);
  const ref = await deps.db.transaction(async (tx) => {
    const existing = await tx.query('SELECT 1 FROM cohort_snapshots WHERE snapshot_id = $1', [snapshotId]);
    if (!existing.rowCount) {
      const row = await tx.query<{ definition: unknown }>('SELECT definition FROM cohort_definitions WHERE cohort_id = $1 AND version = $2', [input.cohortId, input.definitionVersion]);
      if (!row.rows[0]) throw invalidInput(`cohort ${input.cohortId} has no definition version ${input.definitionVersion}`);
      const definition = CohortDefinition.parse(row.rows[0].definition);
      const compiled = compileCohort(definition, new Date(input.asOf));
      const asOfParam = compiled.params.length + 1;
      await tx.query(
        `INSERT INTO cohort_snapshots (snapshot_id, run_id, cohort_id, definition_version, as_of, source_watermarks, size, content_hash)
         SELECT $1, $2, $3, $4, $5, COALESCE((SELECT jsonb_object_agg(source, watermark) FROM source_watermarks), '{}'), 0, ''`,
        [snapshotId, input.runId, input.cohortId, input.definitionVersion, input.asOf],
      );
      // The compiled statement numbers its own parameters from $1; the snapshot id goes last.
      await tx.query(`INSERT INTO snapshot_members (snapshot_id, customer_id) SELECT $${asOfParam}, m.customer_id FROM (${compiled.sql}) m`, [...compiled.params, snapshotId]);
      await tx.query(
        `UPDATE cohort_snapshots s SET size = m.size, content_hash = m.hash
         FROM (SELECT count(*)::int AS size,
                      encode(sha256(convert_to(COALESCE(string_agg(customer_id, E'\\n' ORDER BY customer_id), ''), 'UTF8')), 'hex') AS hash
               FROM snapshot_members WHERE snapshot_id = $1) m
         WHERE s.snapshot_id = $1`,
        [snapshotId],
      );
    }
    const s = await tx.query<{ size: number; content_hash: string; definition_version: number; tier: 'strategic' | 'tactical' }>(
      `SELECT s.size, s.content_hash, s.definition_version, d.tier FROM cohort_snapshots s
       JOIN cohort_definitions d ON d.cohort_id = s.cohort_id AND d.version = s.definition_version WHERE s.snapshot_id = $1`,
      [snapshotId],
    );
    const r = s.rows[0]!;
    return { cohortId: input.cohortId, snapshotId, definitionVersion: r.definition_version, tier: r.tier, size: r.size, contentHash: r.content_hash };
  });
  Context.current().heartbeat();
  log.info({ snapshotId, size: ref.size, contentHash: ref.contentHash }, 'computed cohort');
  return ref;
}
