import crypto from 'node:crypto';
import type { Db, Queryable } from '../data/db';
import { appendAudit } from '../data/audit';
import { InvalidDefinitionError } from '../cohorts/catalog';
import { checkCatalog, declaredId, fileOf, readFolder, withFile } from '../cohorts/catalog-folder';
import { cohortIn, latestVersions } from '../cohorts/catalog-reads';
import type { CatalogService } from '../cohorts/catalog-service';
import type { CohortDefinition } from '../cohorts/definition';
import { knownEventTypes } from '../cohorts/run-compute';
import type { ShadowStatus } from '../shared';

// Starting, stopping and promoting a shadow: a proposed definition checked exactly as a change
// to the catalog would be, kept beside the live one (never written to the folder) until it is
// promoted, which is the ordinary change of the definition.

export type ShadowRefusalKind = 'active' | 'not_active' | 'same_as_live' | 'not_run';

/** A shadow change refused with a reason a person can act on (the API answers 409). */
export class ShadowRefused extends Error {
  constructor(
    readonly kind: ShadowRefusalKind,
    message: string,
  ) {
    super(message);
    this.name = 'ShadowRefused';
  }
}

/** No shadow to act on: the cohort never had one, or not the one named. */
export class ShadowNotFound extends Error {}

export interface ShadowRecord {
  shadowId: string;
  cohortId: string;
  status: ShadowStatus;
  runsPlanned: number;
  runsRemaining: number;
  /** The live definition version when the shadow started. */
  liveVersion: number | null;
  proposedYaml: string;
  proposed: CohortDefinition;
  contentHash: string;
  startedBy: string;
  rationale: string;
  startedAt: string;
  endedBy: string | null;
  endReason: string | null;
  endedAt: string | null;
  promotedVersion: number | null;
}

interface ShadowRow {
  shadow_id: string;
  cohort_id: string;
  status: ShadowStatus;
  runs_planned: number;
  runs_remaining: number;
  live_version: number | null;
  proposed_yaml: string;
  proposed: CohortDefinition;
  content_hash: string;
  started_by: string;
  rationale: string;
  started_at: Date;
  ended_by: string | null;
  end_reason: string | null;
  ended_at: Date | null;
  promoted_version: number | null;
}

const recordOf = (x: ShadowRow): ShadowRecord => ({
  shadowId: x.shadow_id,
  cohortId: x.cohort_id,
  status: x.status,
  runsPlanned: x.runs_planned,
  runsRemaining: x.runs_remaining,
  liveVersion: x.live_version,
  proposedYaml: x.proposed_yaml,
  proposed: x.proposed,
  contentHash: x.content_hash,
  startedBy: x.started_by,
  rationale: x.rationale,
  startedAt: x.started_at.toISOString(),
  endedBy: x.ended_by,
  endReason: x.end_reason,
  endedAt: x.ended_at?.toISOString() ?? null,
  promotedVersion: x.promoted_version,
});

/** The cohort's shadow: the one named, else its newest. */
export async function shadowOf(db: Queryable, cohortId: string, shadowId?: string): Promise<ShadowRecord> {
  const r = await db.query<ShadowRow>(
    `SELECT * FROM cohort_shadows WHERE cohort_id = $1 AND ($2::text IS NULL OR shadow_id = $2)
     ORDER BY started_at DESC, shadow_id DESC LIMIT 1`,
    [cohortId, shadowId ?? null],
  );
  if (!r.rows[0])
    throw new ShadowNotFound(
      shadowId
        ? `cohort ${cohortId} has no shadow ${shadowId}`
        : `cohort ${cohortId} has no shadow; start one with cohortflow cohorts shadow start ${cohortId} FILE --runs N`,
    );
  return recordOf(r.rows[0]);
}

/** Every shadow of the cohort, newest first. */
export async function shadowsOf(db: Queryable, cohortId: string): Promise<ShadowRecord[]> {
  const r = await db.query<ShadowRow>(
    'SELECT * FROM cohort_shadows WHERE cohort_id = $1 ORDER BY started_at DESC, shadow_id DESC',
    [cohortId],
  );
  return r.rows.map(recordOf);
}

/**
 * Checks the proposal as `PUT /cohorts/:id` would (the whole catalog with it in the cohort's
 * file), without writing anything: every problem named with file, line and field.
 */
async function checkedProposal(db: Db, catalogDir: string, cohortId: string, yaml: string) {
  // The live cohort must be in the folder and computed by refreshes: a shadow runs beside it.
  const live = (await cohortIn(catalogDir, cohortId)).entry;
  if (live.definition.status === 'deprecated')
    throw new ShadowRefused(
      'not_active',
      `${cohortId} is deprecated: no refresh computes it, so a shadow of it would never run; apply an active definition instead`,
    );
  const files = await readFolder(catalogDir);
  const name = fileOf(files, cohortId);
  const declared = declaredId(yaml);
  const mismatch =
    declared !== undefined && declared !== cohortId
      ? [
          `${name}: id: "${declared}" does not match the cohort shadowed (${cohortId}); a shadow proposes a new version of the same cohort`,
        ]
      : [];
  const check = checkCatalog(withFile(files, name, yaml), await knownEventTypes(db));
  const entry = check.entries.find((e) => e.file === name);
  const inactive =
    entry?.definition.status === 'deprecated'
      ? [
          `${name}: status: a shadow proposes an active definition; deprecate with cohortflow cohorts deprecate (got "deprecated")`,
        ]
      : [];
  const problems = [...mismatch, ...check.problems, ...inactive];
  if (problems.length > 0 || !entry) throw new InvalidDefinitionError(problems);
  return entry;
}

export async function startShadow(
  db: Db,
  catalogDir: string,
  input: { cohortId: string; yaml: string; runs: number; author: string; rationale: string },
): Promise<ShadowRecord> {
  const entry = await checkedProposal(db, catalogDir, input.cohortId, input.yaml);
  const live = (await latestVersions(db, input.cohortId)).get(input.cohortId);
  if (live && live.change !== 'delete' && live.contentHash === entry.contentHash)
    throw new ShadowRefused(
      'same_as_live',
      `the proposed definition is the live version ${live.version} of ${input.cohortId}: a shadow needs a change to compare`,
    );
  const shadowId = `shadow_${crypto.randomBytes(6).toString('hex')}`;
  return db.transaction(async (tx) => {
    const inserted = await tx.query<ShadowRow>(
      `INSERT INTO cohort_shadows (shadow_id, cohort_id, proposed_yaml, proposed, content_hash, live_version, runs_planned, runs_remaining, status, started_by, rationale)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'active', $8, $9)
       ON CONFLICT (cohort_id) WHERE status = 'active' DO NOTHING RETURNING *`,
      [
        shadowId,
        input.cohortId,
        input.yaml,
        entry.definition,
        entry.contentHash,
        live && live.change !== 'delete' ? live.version : null,
        input.runs,
        input.author,
        input.rationale,
      ],
    );
    if (!inserted.rows[0]) {
      const active = await shadowOf(tx, input.cohortId);
      throw new ShadowRefused(
        'active',
        `${input.cohortId} already has an active shadow (${active.shadowId}, started by ${active.startedBy}); stop or promote it first`,
      );
    }
    await appendAudit(tx, {
      key: `shadow:${shadowId}:started`,
      actor: input.author,
      action: 'shadow.started',
      details: {
        cohortId: input.cohortId,
        shadowId,
        runs: input.runs,
        contentHash: entry.contentHash,
        liveVersion: live?.version ?? null,
        rationale: input.rationale,
      },
    });
    return recordOf(inserted.rows[0]);
  });
}

/** Ends the cohort's active shadow, keeping every run it made for the report. */
export async function stopShadow(
  db: Db,
  cohortId: string,
  input: { author: string; reason: string },
): Promise<ShadowRecord> {
  return db.transaction(async (tx) => {
    const r = await tx.query<ShadowRow>(
      `UPDATE cohort_shadows SET status = 'stopped', ended_by = $2, end_reason = $3, ended_at = now()
       WHERE cohort_id = $1 AND status = 'active' RETURNING *`,
      [cohortId, input.author, input.reason],
    );
    const stopped = r.rows[0];
    if (!stopped) {
      const last = await shadowOf(tx, cohortId);
      throw new ShadowRefused(
        'not_active',
        `${cohortId} has no active shadow; its last one (${last.shadowId}) is ${last.status}`,
      );
    }
    await appendAudit(tx, {
      key: `shadow:${stopped.shadow_id}:stopped`,
      actor: input.author,
      action: 'shadow.stopped',
      details: { cohortId, shadowId: stopped.shadow_id, reason: input.reason, runsRemaining: stopped.runs_remaining },
    });
    return recordOf(stopped);
  });
}

/**
 * Promotion is the ordinary change of the definition: the proposal is applied to the catalog
 * (validated with the catalog as it is now, written, recorded as a version with the promoter as
 * author), so the next refresh computes it, tests it and stops at the approval gate, where the
 * definition_change check carries this shadow's runs. Only a shadow that ran at least once.
 */
export async function promoteShadow(
  db: Db,
  catalog: CatalogService,
  cohortId: string,
  input: { author: string; rationale: string; shadowId?: string },
): Promise<{ shadow: ShadowRecord; version: number; created: boolean }> {
  const shadow = await shadowOf(db, cohortId, input.shadowId);
  if (shadow.status !== 'active' && shadow.status !== 'finished')
    throw new ShadowRefused(
      'not_active',
      `shadow ${shadow.shadowId} of ${cohortId} is ${shadow.status}; only an active or finished shadow is promoted`,
    );
  const ran = await db.query('SELECT 1 FROM shadow_runs WHERE shadow_id = $1 AND shadow_size IS NOT NULL LIMIT 1', [
    shadow.shadowId,
  ]);
  if (!ran.rowCount)
    throw new ShadowRefused(
      'not_run',
      `shadow ${shadow.shadowId} has not been computed in any refresh yet: approvers would have nothing to compare; wait for a refresh of its tier`,
    );
  const applied = await catalog.apply(cohortId, {
    yaml: shadow.proposedYaml,
    author: input.author,
    rationale: `${input.rationale} (promoted from shadow ${shadow.shadowId}, proposed by ${shadow.startedBy})`,
  });
  const promoted = await db.transaction(async (tx) => {
    const r = await tx.query<ShadowRow>(
      `UPDATE cohort_shadows SET status = 'promoted', promoted_version = $2, ended_by = $3, end_reason = $4, ended_at = now()
       WHERE shadow_id = $1 RETURNING *`,
      [shadow.shadowId, applied.version, input.author, input.rationale],
    );
    await appendAudit(tx, {
      key: `shadow:${shadow.shadowId}:promoted`,
      actor: input.author,
      action: 'shadow.promoted',
      details: { cohortId, shadowId: shadow.shadowId, version: applied.version, rationale: input.rationale },
    });
    return recordOf(r.rows[0]!);
  });
  return { shadow: promoted, version: applied.version, created: applied.created };
}
