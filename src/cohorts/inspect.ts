import type { Db, Queryable } from '../data/db';
import { CatalogRefusal, InvalidDefinitionError } from './catalog';
import { cohortIn } from './catalog-reads';
import { compileCohort, measuresOf } from './compile';
import { reachableCohorts } from './rule-walk';
import { readPath } from './measures-sql';
import { memberMeasures } from './member-measures';
import { explainRule, type WhyNode } from './why';
import { inspectionScores, memberScores, scoreExplanations, type MemberScore } from './inspect-scores';

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
  /** Each score the rule reads: how it is computed and the current model version computing it. */
  scores: Array<{ measure: string; modelId: string | null; formula: string }>;
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

export async function explainCohort(db: Db, catalogDir: string, id: string, asOf: Date): Promise<ExplainAnswer> {
  const { definition, catalog } = await compilable(catalogDir, id);
  return readOnly(db, async (tx) => {
    const set = measuresOf(definition, catalog);
    const path = await readPath(tx, asOf, set);
    const scores = await inspectionScores(tx, id, set, asOf, path);
    const compiled = compileCohort(definition, catalog, asOf, path, undefined, scores && { values: scores.scored });
    const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (FORMAT TEXT) ${compiled.sql}`, compiled.params);
    return {
      cohortId: id,
      asOf: asOf.toISOString(),
      readsFrom: path.from,
      sql: compiled.sql,
      params: compiled.params,
      plan: plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
      scores: scoreExplanations(set, scores),
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
    const compiled = compileCohort(definition, catalog, asOf, path, undefined, scores && { values: scores.scored });
    const limit = `$${compiled.params.length + 1}`;
    const r = await tx.query<{ size: number; sample: string[] }>(
      `WITH members AS (${compiled.sql})
       SELECT (SELECT count(*)::int FROM members) AS size, ARRAY(SELECT customer_id FROM members ORDER BY customer_id LIMIT ${limit}) AS sample`,
      [...compiled.params, sample],
    );
    return { cohortId: id, asOf: asOf.toISOString(), size: r.rows[0]!.size, sample: r.rows[0]!.sample };
  });
}

export async function whyMember(
  db: Db,
  catalogDir: string,
  id: string,
  customerId: string,
  asOf: Date,
): Promise<WhyAnswer> {
  const { definition, catalog } = await compilable(catalogDir, id);
  return readOnly(db, async (tx) => {
    const customer = await tx.query<{ customer_no: number }>(
      'SELECT customer_no FROM customers WHERE customer_id = $1',
      [customerId],
    );
    if (!customer.rows[0]) throw new CatalogRefusal({ kind: 'not_found' }, `no customer "${customerId}"`);
    const set = measuresOf(definition, catalog);
    const path = await readPath(tx, asOf, set);
    const scores = await inspectionScores(tx, id, set, asOf, path);
    const source = scores && { values: scores.scored };
    const row = await memberMeasures(tx, definition, catalog, asOf, path, customerId, source);
    const compiled = compileCohort(definition, catalog, asOf, path, customerId, source);
    const member = ((await tx.query(compiled.sql, compiled.params)).rowCount ?? 0) > 0;
    const rule = row ? explainRule(definition.rule, row, { asOf, catalog }) : null;
    const published = await publishedMembership(tx, id, customer.rows[0].customer_no);
    const withdrawn = published ? null : await withdrawalOf(tx, id);
    return {
      cohortId: id,
      customerId,
      asOf: asOf.toISOString(),
      member,
      existedAtAsOf: row !== undefined,
      rule,
      scores: scores ? memberScores(set, scores, customer.rows[0].customer_no) : [],
      published,
      withdrawn,
      // The evaluator mirrors compile.ts; if they ever disagree the SQL answer stands and this says so.
      ...(rule && rule.holds !== member
        ? {
            warning: `the rule tree says ${rule.holds ? 'member' : 'not a member'} but the cohort's SQL says ${member ? 'member' : 'not a member'}; the SQL is authoritative`,
          }
        : {}),
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
