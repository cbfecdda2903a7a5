import type { Db, Queryable } from '../data/db';
import { CatalogRefusal, InvalidDefinitionError } from './catalog';
import { cohortIn } from './catalog-reads';
import { compileCohort, measuresOf } from './compile';
import { reachableCohorts } from './rule-walk';
import { readPath } from './measures-sql';
import { memberMeasures } from './member-measures';
import { explainRule, type WhyNode } from './why';
import {
  inspectionScores,
  memberScores,
  scoreExplanations,
  scoreSource,
  scoringNote,
  storedScores,
  type MemberScore,
  type ScoringNote,
} from './inspect-scores';
import { snapshotDefinitions, snapshotHolds, snapshotToExplain, type StoredSnapshot } from './inspect-snapshot';
import type { CohortDefinition } from './definition';

// Inspecting a cohort without publishing anything: its compiled SQL and plan, its size and a
// sample now, and why one customer is or is not a member. Inspection runs read-only and bounded.

export interface ExplainAnswer {
  cohortId: string;
  asOf: string;
  /** Where the measures are read: the derived customer state, or the raw rows (an earlier asOf, rows not derived yet). */
  readsFrom: 'state' | 'events';
  sql: string;
  params: unknown[];
  plan: string;
  /** Each score the rule reads: how it is computed and the model version computing it. */
  scores: Array<{ measure: string; modelId: string | null; formula: string }>;
  /** The stored snapshot computed at this asOf, explained as its run computed it; null for an ad hoc asOf. */
  snapshot: ExplainedSnapshot | null;
  /** Where the scores come from (the snapshot's run, or computed now); null when the rule reads none. */
  scoring: ScoringNote | null;
}

export interface ExplainedSnapshot {
  snapshotId: string;
  runId: string;
  definitionVersion: number;
  /** Whether it is the cohort's current published snapshot. */
  published: boolean;
}

export interface PreviewAnswer {
  cohortId: string;
  asOf: string;
  size: number;
  sample: string[];
}

export interface PublishedMembership {
  snapshotId: string;
  runId: string;
  publishedAt: string;
  asOf: string;
  member: boolean;
}

/** The cohort was published and then withdrawn (its first publish rolled back): nothing is current. */
export interface Withdrawal {
  /** The published version that withdrew it. */
  version: number;
  /** The rollback that wrote it. */
  runId: string;
  at: string;
  reason: string | null;
}

export interface WhyAnswer {
  cohortId: string;
  customerId: string;
  asOf: string;
  /** The cohort's SQL for this one customer: the authority. */
  member: boolean;
  existedAtAsOf: boolean;
  rule: WhyNode | null;
  /** Each score the rule reads: its value and quantile, the model version and what it read of the customer. */
  scores: MemberScore[];
  /** The stored snapshot explained (the published one by default) and whether it holds the customer; null for an ad hoc asOf. */
  snapshot: (ExplainedSnapshot & { member: boolean }) | null;
  /** Where the scores come from (the snapshot's run, or computed now); null when the rule reads none. */
  scoring: ScoringNote | null;
  /** The current published snapshot; null when none is (never published, or withdrawn). */
  published: PublishedMembership | null;
  /** Set when no snapshot is current because the cohort was withdrawn. */
  withdrawn: Withdrawal | null;
  warning?: string;
}

/**
 * Inspection can neither write nor hold the database for long. One snapshot serves the choice of
 * read path and the read itself (REPEATABLE READ).
 */
async function readOnly<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await tx.query("SET LOCAL statement_timeout = '60s'");
    return fn(tx);
  });
}

/** The cohort and every cohort it refers to, as compileCohort needs them. */
async function compilable(catalogDir: string, id: string) {
  const { entry, entries, problems } = await cohortIn(catalogDir, id);
  const catalog = new Map(entries.map((e) => [e.definition.id, e.definition]));
  const ruleOf = (ref: string) => (ref === id ? entry.definition.rule : catalog.get(ref)?.rule);
  const { missing } = reachableCohorts([id], ruleOf);
  if (missing.length > 0) {
    throw new InvalidDefinitionError(
      problems,
      `${id} refers to ${missing.join(', ')}, not in the catalog (or not valid):\n  ${problems.join('\n  ')}`,
    );
  }
  return { definition: entry.definition, catalog };
}

/** What an inspection reads: a stored snapshot at that asOf as its run planned it, else the catalog now. */
async function inspectedAt(
  tx: Queryable,
  catalogDir: string,
  id: string,
  asOf: Date | 'published',
): Promise<{
  at: Date;
  stored?: StoredSnapshot;
  definition: CohortDefinition;
  catalog: Map<string, CohortDefinition>;
}> {
  const stored = await snapshotToExplain(tx, id, asOf);
  const planned = stored && (await snapshotDefinitions(tx, id, stored));
  if (stored && planned) return { at: stored.asOf, stored, ...planned };
  return { at: asOf === 'published' ? new Date() : asOf, ...(await compilable(catalogDir, id)) };
}

const explained = (s: StoredSnapshot): ExplainedSnapshot => ({
  snapshotId: s.snapshotId,
  runId: s.runId,
  definitionVersion: s.definitionVersion,
  published: s.published,
});

export async function explainCohort(db: Db, catalogDir: string, id: string, asOf: Date): Promise<ExplainAnswer> {
  return readOnly(db, async (tx) => {
    const { at, stored, definition, catalog } = await inspectedAt(tx, catalogDir, id, asOf);
    const set = measuresOf(definition, catalog);
    const path = await readPath(tx, at, set);
    const scores = stored ? await storedScores(tx, set, stored) : await inspectionScores(tx, id, set, at, path);
    const compiled = compileCohort(definition, catalog, at, path, undefined, scoreSource(scores));
    const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (FORMAT TEXT) ${compiled.sql}`, compiled.params);
    return {
      cohortId: id,
      asOf: at.toISOString(),
      readsFrom: path.from,
      sql: compiled.sql,
      params: compiled.params,
      plan: plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
      scores: scoreExplanations(set, scores),
      snapshot: stored ? explained(stored) : null,
      scoring: scoringNote(scores),
    };
  });
}

export async function previewCohort(
  db: Db,
  catalogDir: string,
  id: string,
  asOf: Date,
  sample: number,
): Promise<PreviewAnswer> {
  const { definition, catalog } = await compilable(catalogDir, id);
  return readOnly(db, async (tx) => {
    const set = measuresOf(definition, catalog);
    const path = await readPath(tx, asOf, set);
    const scores = await inspectionScores(tx, id, set, asOf, path);
    const compiled = compileCohort(definition, catalog, asOf, path, undefined, scoreSource(scores));
    const limit = `$${compiled.params.length + 1}`;
    const r = await tx.query<{ size: number; sample: string[] }>(
      `WITH members AS (${compiled.sql})
       SELECT (SELECT count(*)::int FROM members) AS size, ARRAY(SELECT customer_id FROM members ORDER BY customer_id LIMIT ${limit}) AS sample`,
      [...compiled.params, sample],
    );
    return { cohortId: id, asOf: asOf.toISOString(), size: r.rows[0]!.size, sample: r.rows[0]!.sample };
  });
}

/**
 * Why a customer is (not) a member. Without an asOf it explains the published snapshot, with an
 * asOf a snapshot computed then: as of its asOf, by its run's definitions and stored scores, so
 * the explanation matches the stored membership. An asOf no run computed is evaluated now.
 */
export async function whyMember(
  db: Db,
  catalogDir: string,
  id: string,
  customerId: string,
  asOf: Date | undefined,
): Promise<WhyAnswer> {
  return readOnly(db, async (tx) => {
    const { at, stored, definition, catalog } = await inspectedAt(tx, catalogDir, id, asOf ?? 'published');
    const customer = await tx.query<{ customer_no: number }>(
      'SELECT customer_no FROM customers WHERE customer_id = $1',
      [customerId],
    );
    if (!customer.rows[0]) throw new CatalogRefusal({ kind: 'not_found' }, `no customer "${customerId}"`);
    const customerNo = customer.rows[0].customer_no;
    const set = measuresOf(definition, catalog);
    const path = await readPath(tx, at, set);
    const scores = stored ? await storedScores(tx, set, stored) : await inspectionScores(tx, id, set, at, path);
    const source = scoreSource(scores);
    const row = await memberMeasures(tx, definition, catalog, at, path, customerId, source);
    const compiled = compileCohort(definition, catalog, at, path, customerId, source);
    const member = ((await tx.query(compiled.sql, compiled.params)).rowCount ?? 0) > 0;
    const rule = row ? explainRule(definition.rule, row, { asOf: at, catalog }) : null;
    const published = await publishedMembership(tx, id, customerNo);
    const withdrawn = published ? null : await withdrawalOf(tx, id);
    const snapshot = stored
      ? { ...explained(stored), member: await snapshotHolds(tx, stored.snapshotId, customerNo) }
      : null;
    const warnings = [
      // The evaluator mirrors compile.ts; if they ever disagree the SQL answer stands and this says so.
      rule && rule.holds !== member
        ? `the rule tree says ${rule.holds ? 'member' : 'not a member'} but the cohort's SQL says ${member ? 'member' : 'not a member'}; the SQL is authoritative`
        : undefined,
      snapshot && snapshot.member !== member
        ? `computed again, the cohort's SQL says ${member ? 'member' : 'not a member'} but snapshot ${snapshot.snapshotId} stored ${snapshot.member ? 'the customer' : 'without the customer'}: rows it read changed after it was computed`
        : undefined,
    ].filter((w): w is string => w !== undefined);
    return {
      cohortId: id,
      customerId,
      asOf: at.toISOString(),
      member,
      existedAtAsOf: row !== undefined,
      rule,
      scores: scores ? await memberScores(tx, set, scores, customerNo, at) : [],
      snapshot,
      scoring: scoringNote(scores),
      published,
      withdrawn,
      ...(warnings.length > 0 ? { warning: warnings.join('; ') } : {}),
    };
  });
}

/** The latest published snapshot (cohort_current) and whether it holds the customer: one block of one snapshot's members. */
async function publishedMembership(
  db: Queryable,
  cohortId: string,
  customerNo: number,
): Promise<PublishedMembership | null> {
  const r = await db.query<{ snapshot_id: string; run_id: string; published_at: Date; as_of: Date; member: boolean }>(
    `SELECT cc.snapshot_id, cc.run_id, cc.published_at, s.as_of,
            EXISTS (SELECT 1 FROM snapshot_chunks k WHERE k.snapshot_id = cc.snapshot_id AND k.block = $2::int >> 16 AND $2::int = ANY (k.members)) AS member
     FROM cohort_current cc JOIN cohort_snapshots s ON s.snapshot_id = cc.snapshot_id WHERE cc.cohort_id = $1`,
    [cohortId, customerNo],
  );
  const x = r.rows[0];
  return x
    ? {
        snapshotId: x.snapshot_id,
        runId: x.run_id,
        publishedAt: x.published_at.toISOString(),
        asOf: x.as_of.toISOString(),
        member: x.member,
      }
    : null;
}

/** The cohort's latest published version when it is a withdrawal (no snapshot); null otherwise. */
async function withdrawalOf(db: Queryable, cohortId: string): Promise<Withdrawal | null> {
  const r = await db.query<{ version: number; run_id: string; published_at: Date; reason: string | null }>(
    `SELECT version, run_id, published_at, reason FROM published_versions
     WHERE cohort_id = $1 AND version = (SELECT max(version) FROM published_versions WHERE cohort_id = $1) AND snapshot_id IS NULL`,
    [cohortId],
  );
  const x = r.rows[0];
  return x ? { version: x.version, runId: x.run_id, at: x.published_at.toISOString(), reason: x.reason } : null;
}
