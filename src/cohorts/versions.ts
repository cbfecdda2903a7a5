import type { Db, Queryable } from '../data/db';
import { appendAudit } from '../data/audit';
import type { CatalogEntry } from './catalog';
import type { CohortDefinition, CohortTier } from './definition';
import { enforceGuardrail, GuardrailRefused } from './guardrail';

export { GuardrailRefused };

// Every change to a definition is a version: created, updated, deprecated or deleted, with its
// content hash, author, rationale and time. Old versions stay readable for ever.

export type DefinitionChange = 'create' | 'update' | 'deprecate' | 'delete';

export interface DefinitionVersion {
  cohortId: string;
  version: number;
  contentHash: string;
  change: DefinitionChange;
  tier: CohortTier;
  author: string;
  rationale: string;
  createdAt: string;
  definition: CohortDefinition | null;
}

interface Latest {
  version: number;
  content_hash: string;
  change: DefinitionChange;
  tier: CohortTier;
  status: string | null;
}

async function latestOf(tx: Queryable, cohortId: string): Promise<Latest | undefined> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`definition:${cohortId}`]);
  const r = await tx.query<Latest>(
    `SELECT version, content_hash, change, tier, definition->>'status' AS status FROM cohort_definitions
     WHERE cohort_id = $1 ORDER BY version DESC LIMIT 1`,
    [cohortId],
  );
  return r.rows[0];
}

/**
 * The governance trail's row for a new version, in the version's transaction and last in it
 * (audit_log's chain lock is held until commit). Keyed by cohort and version: one row per version.
 */
async function auditChange(
  tx: Queryable,
  v: {
    cohortId: string;
    version: number;
    contentHash: string;
    change: DefinitionChange;
    author: string;
    rationale: string;
  },
): Promise<void> {
  await appendAudit(tx, {
    key: `definition:${v.cohortId}:${v.version}`,
    actor: v.author,
    action: `definition.${v.change}`,
    details: { cohortId: v.cohortId, version: v.version, contentHash: v.contentHash, rationale: v.rationale },
  });
}

/** Records the definition as a new version unless it is the latest already; returns its version. */
export async function recordDefinition(
  db: Db,
  entry: Pick<CatalogEntry, 'definition' | 'contentHash'>,
  by: { author: string; rationale: string },
): Promise<{ version: number; created: boolean }> {
  const { definition, contentHash } = entry;
  return db.transaction(async (tx) => {
    const latest = await latestOf(tx, definition.id);
    if (latest && latest.change !== 'delete' && latest.content_hash === contentHash)
      return { version: latest.version, created: false };
    const change: DefinitionChange =
      !latest || latest.change === 'delete'
        ? 'create'
        : definition.status === 'deprecated' && latest.status !== 'deprecated'
          ? 'deprecate'
          : 'update';
    const rationale =
      change === 'deprecate' && definition.deprecationReason ? definition.deprecationReason : by.rationale;
    const version = (latest?.version ?? 0) + 1;
    await tx.query(
      `INSERT INTO cohort_definitions (cohort_id, version, content_hash, definition, tier, author, rationale, change)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [definition.id, version, contentHash, definition, definition.tier, by.author, rationale, change],
    );
    await auditChange(tx, { cohortId: definition.id, version, contentHash, change, author: by.author, rationale });
    return { version, created: true };
  });
}

/**
 * Records a deletion (a tombstone version). A strategic cohort is deleted only with a reason;
 * without one the deletion is refused and nothing changes.
 */
export async function recordDeletion(
  db: Db,
  cohortId: string,
  by: { author: string; reason?: string },
): Promise<number> {
  return db.transaction(async (tx) => {
    const latest = await latestOf(tx, cohortId);
    if (!latest || latest.change === 'delete')
      throw new GuardrailRefused(`cohort ${cohortId} has no live version to delete`);
    const reason = by.reason?.trim();
    enforceGuardrail({ id: cohortId, tier: latest.tier }, 'delete', reason);
    const version = latest.version + 1;
    const tombstone = {
      cohortId,
      version,
      contentHash: `deleted:${version}`,
      change: 'delete' as const,
      author: by.author,
      rationale: reason || 'no reason given',
    };
    await tx.query(
      `INSERT INTO cohort_definitions (cohort_id, version, content_hash, definition, tier, author, rationale, change)
       VALUES ($1, $2, $3, 'null', $4, $5, $6, 'delete')`,
      [cohortId, version, tombstone.contentHash, latest.tier, by.author, tombstone.rationale],
    );
    await auditChange(tx, tombstone);
    return version;
  });
}

/** Cohorts with a live latest version that are not in the catalog any more. */
export async function missingFromCatalog(
  db: Db,
  ids: string[],
): Promise<Array<{ cohortId: string; tier: CohortTier }>> {
  const r = await db.query<{ cohort_id: string; tier: CohortTier }>(
    `SELECT cohort_id, tier FROM (SELECT DISTINCT ON (cohort_id) cohort_id, tier, change FROM cohort_definitions ORDER BY cohort_id, version DESC) l
     WHERE change <> 'delete' AND NOT (cohort_id = ANY($1::text[])) ORDER BY cohort_id`,
    [ids],
  );
  return r.rows.map((x) => ({ cohortId: x.cohort_id, tier: x.tier }));
}

export async function definitionVersions(db: Db, cohortId: string): Promise<DefinitionVersion[]> {
  const r = await db.query<{
    version: number;
    content_hash: string;
    change: DefinitionChange;
    tier: CohortTier;
    author: string;
    rationale: string;
    created_at: Date;
    definition: CohortDefinition | null;
  }>(
    'SELECT version, content_hash, change, tier, author, rationale, created_at, definition FROM cohort_definitions WHERE cohort_id = $1 ORDER BY version',
    [cohortId],
  );
  return r.rows.map((x) => ({
    cohortId,
    version: x.version,
    contentHash: x.content_hash,
    change: x.change,
    tier: x.tier,
    author: x.author,
    rationale: x.rationale,
    createdAt: x.created_at.toISOString(),
    definition: x.definition,
  }));
}

/** The catalog's recorded versions: every live cohort at its latest version. */
export async function recordedCatalog(
  db: Queryable,
): Promise<Map<string, { version: number; definition: CohortDefinition }>> {
  const r = await db.query<{
    cohort_id: string;
    version: number;
    definition: CohortDefinition;
    change: DefinitionChange;
  }>(
    'SELECT DISTINCT ON (cohort_id) cohort_id, version, definition, change FROM cohort_definitions ORDER BY cohort_id, version DESC',
  );
  return new Map(
    r.rows
      .filter((x) => x.change !== 'delete')
      .map((x) => [x.cohort_id, { version: x.version, definition: x.definition }]),
  );
}
