import fs from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidDefinitionError, type CatalogEntry } from '../cohorts/catalog';
import { compileCohort, measuresOf } from '../cohorts/compile';
import { CohortDefinition } from '../cohorts/definition';
import { reachableCohorts, referencedCohorts } from '../cohorts/rule-walk';
import {
  checkCatalog,
  declaredId,
  deprecated,
  fileOf,
  readFolder,
  restore,
  withFile,
  writeAtomically,
  type FolderFile,
} from '../cohorts/catalog-folder';
import { readPath } from '../cohorts/measures-sql';
import { memberMeasures } from '../cohorts/member-measures';
import { knownEventTypes } from '../cohorts/run-compute';
import { definitionVersions, recordDefinition, recordDeletion, type DefinitionVersion } from '../cohorts/versions';
import { explainRule, type WhyNode } from '../cohorts/why';
import type { Role } from '../config';
import type { Db, Queryable } from '../data/db';
import type { requireRole } from './auth';

// Managing and inspecting cohorts: the catalog folder is the source of definitions, every
// accepted change is recorded as a version (versions.ts), and inspection never writes.

export interface CohortDeps {
  db: Db;
  catalogDir: string;
}

/** A refusal the API answers with its status, an error code and a message a person can act on. */
export class ApiRefusal extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const Id = z.object({ id: CohortDefinition.shape.id }).strict();
const IdAndVersion = z.object({ id: CohortDefinition.shape.id, n: z.coerce.number().int().positive() }).strict();
const IdAndCustomer = z.object({ id: CohortDefinition.shape.id, customerId: z.string().min(1).max(200) }).strict();
const AsOf = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).optional();
const AsOfQuery = z.object({ asOf: AsOf }).strict();
const PreviewQuery = z.object({ asOf: AsOf, sample: z.coerce.number().int().min(1).max(1000).default(20) }).strict();
const ValidateBody = z.object({ yaml: z.string().min(1).optional() }).strict();
const ApplyBody = z
  .object({
    yaml: z.string().min(1),
    rationale: z.string().trim().min(10, 'say why this change is needed, in a sentence'),
  })
  .strict();
const ReasonBody = z.object({ reason: z.string().trim().min(1).optional() }).strict();

// What the routes answer: the CLI reads the same types.
export type VersionSummary = Omit<DefinitionVersion, 'definition'>;
export type AppliedVersion = VersionSummary & { file: string; created: boolean };
export interface CohortListing {
  catalogDir: string;
  cohorts: Array<
    Pick<CohortDefinition, 'id' | 'name' | 'tier' | 'status' | 'owner'> & {
      file: string;
      latestVersion: LatestVersion | null;
      recorded: boolean;
    }
  >;
  problems: string[];
}
export interface ValidationAnswer {
  valid: boolean;
  cohorts: number;
  candidate?: string;
  problems: string[];
}
export interface ExplainAnswer {
  cohortId: string;
  asOf: string;
  /** Where the measures are read: the derived customer state, or the raw rows (an earlier asOf, rows not derived yet). */
  readsFrom: 'state' | 'events';
  sql: string;
  params: unknown[];
  plan: string;
}
export interface PreviewAnswer {
  cohortId: string;
  asOf: string;
  size: number;
  sample: string[];
}
export interface WhyAnswer {
  cohortId: string;
  customerId: string;
  asOf: string;
  /** The cohort's SQL for this one customer: the authority. */
  member: boolean;
  existedAtAsOf: boolean;
  rule: WhyNode | null;
  published: { snapshotId: string; runId: string; publishedAt: string; asOf: string; member: boolean } | null;
  warning?: string;
}

export interface LatestVersion {
  version: number;
  change: DefinitionVersion['change'];
  contentHash: string;
  createdAt: string;
}

async function latestVersions(db: Queryable, id?: string): Promise<Map<string, LatestVersion>> {
  const r = await db.query<{
    cohort_id: string;
    version: number;
    change: LatestVersion['change'];
    content_hash: string;
    created_at: Date;
  }>(
    `SELECT DISTINCT ON (cohort_id) cohort_id, version, change, content_hash, created_at FROM cohort_definitions
     WHERE $1::text IS NULL OR cohort_id = $1 ORDER BY cohort_id, version DESC`,
    [id ?? null],
  );
  return new Map(
    r.rows.map((x) => [
      x.cohort_id,
      { version: x.version, change: x.change, contentHash: x.content_hash, createdAt: x.created_at.toISOString() },
    ]),
  );
}

const summaryOf = ({ definition: _definition, ...version }: DefinitionVersion): VersionSummary => version;

/** Inspection runs read-only and bounded: it can neither write nor hold the database for long. */
/** One snapshot for the choice of read path and the read itself: REPEATABLE READ. */
async function readOnly<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    await tx.query("SET LOCAL statement_timeout = '60s'");
    return fn(tx);
  });
}

const notFound = (id: string, dir: string) =>
  new ApiRefusal(404, 'not_found', `no cohort "${id}" in the catalog folder ${dir}`);

export function registerCohortRoutes(
  app: FastifyInstance,
  deps: CohortDeps,
  role: (r: Role) => ReturnType<typeof requireRole>,
): void {
  const { db, catalogDir } = deps;
  // One change to the folder at a time in this process: validate, write and record stay in step.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const folder = async () => {
    const files = await readFolder(catalogDir);
    return { files, ...checkCatalog(files) };
  };

  const cohortIn = async (id: string) => {
    const f = await folder();
    const entry = f.entries.find((e) => e.definition.id === id);
    if (!entry) {
      const broken = f.files.find((x) => declaredId(x.text) === id);
      if (broken)
        throw new ApiRefusal(
          400,
          'invalid_definition',
          `${broken.name} does not parse:\n  ${f.problems.filter((p) => p.startsWith(broken.name)).join('\n  ')}`,
          { problems: f.problems.filter((p) => p.startsWith(broken.name)) },
        );
      throw notFound(id, catalogDir);
    }
    return { ...f, entry };
  };

  /** The cohort and every cohort it refers to, as compileCohort needs them. */
  const compilable = async (id: string) => {
    const { entry, entries, problems } = await cohortIn(id);
    const catalog = new Map(entries.map((e) => [e.definition.id, e.definition]));
    const ruleOf = (ref: string) => (ref === id ? entry.definition.rule : catalog.get(ref)?.rule);
    const { missing } = reachableCohorts([id], ruleOf);
    if (missing.length > 0) {
      throw new ApiRefusal(
        400,
        'invalid_definition',
        `${id} refers to ${missing.join(', ')}, not in the catalog (or not valid):\n  ${problems.join('\n  ')}`,
        { problems },
      );
    }
    return { definition: entry.definition, catalog };
  };

  const referrers = (entries: CatalogEntry[], id: string, status?: 'active') =>
    entries
      .filter(
        (e) =>
          e.definition.id !== id &&
          (!status || e.definition.status === status) &&
          referencedCohorts(e.definition.rule).includes(id),
      )
      .map((e) => ({ id: e.definition.id, status: e.definition.status, file: e.file }));

  /**
   * Records the file as it is before deprecating or deleting it, when that content was never
   * recorded (added or edited by hand): the history then shows what was deprecated or deleted.
   */
  const recordAsFound = (entry: CatalogEntry, author: string, action: string) =>
    recordDefinition(db, entry, {
      author,
      rationale: `the file as found in the catalog folder, recorded by ${author} before ${action} it`,
    });

  /** Validates the folder with `text` in `name`; writes it and records the version only if every check passes. */
  const apply = async (
    files: FolderFile[],
    name: string,
    text: string,
    by: { author: string; rationale: string },
    extra: string[] = [],
    before?: () => Promise<unknown>,
  ) => {
    const check = checkCatalog(withFile(files, name, text), await knownEventTypes(db));
    const problems = [...extra, ...check.problems];
    if (problems.length > 0) throw new InvalidDefinitionError(problems);
    await before?.();
    const entry = check.entries.find((e) => e.file === name)!;
    const file = path.join(catalogDir, name);
    await writeAtomically(file, text);
    let recorded: { version: number; created: boolean };
    try {
      recorded = await recordDefinition(db, entry, by);
    } catch (err) {
      await restore(file, files.find((f) => f.name === name)?.text);
      throw err;
    }
    const version = (await definitionVersions(db, entry.definition.id)).find((v) => v.version === recorded.version)!;
    const applied: AppliedVersion = { ...summaryOf(version), file: name, created: recorded.created };
    return applied;
  };

  app.get('/cohorts', { preHandler: role('viewer') }, async (): Promise<CohortListing> => {
    const files = await readFolder(catalogDir);
    const { entries, problems } = checkCatalog(files, await knownEventTypes(db));
    const recorded = await latestVersions(db);
    const cohorts = entries.map(({ definition: d, file, contentHash }) => {
      const latest = recorded.get(d.id);
      return {
        id: d.id,
        name: d.name,
        tier: d.tier,
        status: d.status,
        owner: d.owner,
        file,
        latestVersion: latest ?? null,
        recorded: latest?.contentHash === contentHash,
      };
    });
    return { catalogDir, cohorts, problems };
  });

  app.get('/cohorts/:id', { preHandler: role('viewer') }, async (request) => {
    const { id } = Id.parse(request.params);
    const { entry } = await cohortIn(id);
    const latest = (await latestVersions(db, id)).get(id) ?? null;
    return {
      id,
      file: entry.file,
      contentHash: entry.contentHash,
      definition: entry.definition,
      latestVersion: latest,
      recorded: latest?.contentHash === entry.contentHash,
    };
  });

  app.get('/cohorts/:id/versions', { preHandler: role('viewer') }, async (request) => {
    const { id } = Id.parse(request.params);
    const versions = await definitionVersions(db, id);
    if (versions.length === 0 && !(await folder()).entries.some((e) => e.definition.id === id))
      throw notFound(id, catalogDir);
    return { cohortId: id, versions: versions.map(summaryOf) };
  });

  app.get('/cohorts/:id/versions/:n', { preHandler: role('viewer') }, async (request) => {
    const { id, n } = IdAndVersion.parse(request.params);
    const version = (await definitionVersions(db, id)).find((v) => v.version === n);
    if (!version) throw new ApiRefusal(404, 'not_found', `cohort "${id}" has no recorded version ${n}`);
    return version;
  });

  app.post('/cohorts/validate', { preHandler: role('viewer') }, async (request): Promise<ValidationAnswer> => {
    const { yaml } = ValidateBody.parse(request.body ?? {});
    let files = await readFolder(catalogDir);
    let candidate: string | undefined;
    if (yaml !== undefined) {
      const id = declaredId(yaml);
      candidate = id ? fileOf(files, id) : '(candidate).yaml';
      files = withFile(files, candidate, yaml);
    }
    const { entries, problems } = checkCatalog(files, await knownEventTypes(db));
    return { valid: problems.length === 0, cohorts: entries.length, candidate, problems };
  });

  app.put('/cohorts/:id', { preHandler: role('analyst') }, async (request, reply) => {
    const { id } = Id.parse(request.params);
    const body = ApplyBody.parse(request.body ?? {});
    const result = await exclusive(async () => {
      const files = await readFolder(catalogDir);
      const name = fileOf(files, id);
      const declared = declaredId(body.yaml);
      const mismatch =
        declared !== undefined && declared !== id
          ? [
              `${name}: id: "${declared}" does not match the cohort in the URL (${id}); PUT /cohorts/${declared} to change that cohort`,
            ]
          : [];
      return apply(files, name, body.yaml, { author: request.caller!.user, rationale: body.rationale }, mismatch);
    });
    return reply.code(result.created ? 201 : 200).send(result);
  });

  app.post('/cohorts/:id/deprecate', { preHandler: role('analyst') }, async (request) => {
    const { id } = Id.parse(request.params);
    const { reason } = ReasonBody.parse(request.body ?? {});
    return exclusive(async () => {
      const { files, entries, entry } = await cohortIn(id);
      const d = entry.definition;
      if (d.status === 'deprecated')
        throw new ApiRefusal(
          409,
          'already_deprecated',
          `${id} is already deprecated (${d.deprecationReason ?? 'no reason given'})`,
        );
      if (d.tier === 'strategic' && (reason ?? '').length < 10) {
        throw new ApiRefusal(
          409,
          'guardrail',
          `${id} is a strategic cohort: deprecating it needs a reason of a sentence (at least 10 characters)`,
        );
      }
      const users = referrers(entries, id, 'active');
      if (users.length > 0) {
        throw new ApiRefusal(
          409,
          'referenced',
          `${id} is used by active cohorts through in_cohort: ${users.map((u) => `${u.id} (${u.file})`).join(', ')}; change or deprecate them first`,
          { referrers: users },
        );
      }
      const text = deprecated(files.find((f) => f.name === entry.file)!.text, reason);
      const author = request.caller!.user;
      return apply(
        files,
        entry.file,
        text,
        { author, rationale: reason ?? 'deprecated without a reason (tactical cohort)' },
        [],
        () => recordAsFound(entry, author, 'deprecating'),
      );
    });
  });

  app.delete('/cohorts/:id', { preHandler: role('analyst') }, async (request) => {
    const { id } = Id.parse(request.params);
    const { reason } = ReasonBody.parse(request.body ?? {});
    return exclusive(async () => {
      const { files, entries } = await folder();
      const entry = entries.find((e) => e.definition.id === id);
      const latest = (await latestVersions(db, id)).get(id);
      if (!entry && (!latest || latest.change === 'delete')) throw notFound(id, catalogDir);
      // Every referrer, deprecated ones too: a dangling in_cohort makes the whole catalog invalid.
      const users = referrers(entries, id);
      if (users.length > 0) {
        throw new ApiRefusal(
          409,
          'referenced',
          `${id} is used through in_cohort by ${users.map((u) => `${u.id} (${u.status}, ${u.file})`).join(', ')}; change them first`,
          { referrers: users },
        );
      }
      const tier = entry?.definition.tier ?? (await definitionVersions(db, id)).at(-1)!.tier;
      if (tier === 'strategic' && (reason ?? '').length < 10) {
        throw new ApiRefusal(
          409,
          'guardrail',
          `${id} is a strategic cohort: deleting it needs a reason of a sentence (at least 10 characters)`,
        );
      }
      const by = { author: request.caller!.user, reason };
      if (entry) await recordAsFound(entry, by.author, 'deleting');
      const version = await recordDeletion(db, id, by);
      const name = files.some((f) => declaredId(f.text) === id) ? fileOf(files, id) : undefined;
      if (name) {
        await fs.rm(path.join(catalogDir, name)).catch((err: Error) => {
          throw new ApiRefusal(
            500,
            'file_not_removed',
            `deletion of ${id} recorded as version ${version}, but ${name} could not be removed (${err.message}); remove it by hand, or the next refresh records it again as a new cohort`,
            { version },
          );
        });
      }
      return {
        cohortId: id,
        version,
        change: 'delete',
        author: by.author,
        rationale: reason ?? 'no reason given',
        fileRemoved: name ?? null,
      };
    });
  });

  app.get('/cohorts/:id/explain', { preHandler: role('viewer') }, async (request) => {
    const { id } = Id.parse(request.params);
    const asOf = asOfOf(AsOfQuery.parse(request.query ?? {}).asOf);
    const { definition, catalog } = await compilable(id);
    return readOnly(db, async (tx): Promise<ExplainAnswer> => {
      const path = await readPath(tx, asOf, measuresOf(definition, catalog));
      const compiled = compileCohort(definition, catalog, asOf, path);
      const plan = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (FORMAT TEXT) ${compiled.sql}`, compiled.params);
      return {
        cohortId: id,
        asOf: asOf.toISOString(),
        readsFrom: path.from,
        sql: compiled.sql,
        params: compiled.params,
        plan: plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
      };
    });
  });

  app.get('/cohorts/:id/preview', { preHandler: role('viewer') }, async (request) => {
    const { id } = Id.parse(request.params);
    const query = PreviewQuery.parse(request.query ?? {});
    const asOf = asOfOf(query.asOf);
    const { definition, catalog } = await compilable(id);
    return readOnly(db, async (tx): Promise<PreviewAnswer> => {
      const path = await readPath(tx, asOf, measuresOf(definition, catalog));
      const compiled = compileCohort(definition, catalog, asOf, path);
      const limit = `$${compiled.params.length + 1}`;
      const r = await tx.query<{ size: number; sample: string[] }>(
        `WITH members AS (${compiled.sql})
         SELECT (SELECT count(*)::int FROM members) AS size, ARRAY(SELECT customer_id FROM members ORDER BY customer_id LIMIT ${limit}) AS sample`,
        [...compiled.params, query.sample],
      );
      return { cohortId: id, asOf: asOf.toISOString(), size: r.rows[0]!.size, sample: r.rows[0]!.sample };
    });
  });

  app.get('/cohorts/:id/why/:customerId', { preHandler: role('viewer') }, async (request) => {
    const { id, customerId } = IdAndCustomer.parse(request.params);
    const asOf = asOfOf(AsOfQuery.parse(request.query ?? {}).asOf);
    const { definition, catalog } = await compilable(id);
    return readOnly(db, async (tx): Promise<WhyAnswer> => {
      const customer = await tx.query<{ customer_no: number }>(
        'SELECT customer_no FROM customers WHERE customer_id = $1',
        [customerId],
      );
      if (!customer.rows[0]) throw new ApiRefusal(404, 'not_found', `no customer "${customerId}"`);
      const path = await readPath(tx, asOf, measuresOf(definition, catalog));
      const row = await memberMeasures(tx, definition, catalog, asOf, path, customerId);
      const compiled = compileCohort(definition, catalog, asOf, path, customerId);
      const member = ((await tx.query(compiled.sql, compiled.params)).rowCount ?? 0) > 0;
      const rule = row ? explainRule(definition.rule, row, { asOf, catalog }) : null;
      const published = await publishedMembership(tx, id, customer.rows[0].customer_no);
      return {
        cohortId: id,
        customerId,
        asOf: asOf.toISOString(),
        member,
        existedAtAsOf: row !== undefined,
        rule,
        published,
        // The evaluator mirrors compile.ts; if they ever disagree the SQL answer stands and this says so.
        ...(rule && rule.holds !== member
          ? {
              warning: `the rule tree says ${rule.holds ? 'member' : 'not a member'} but the cohort's SQL says ${member ? 'member' : 'not a member'}; the SQL is authoritative`,
            }
          : {}),
      };
    });
  });
}

const asOfOf = (value: string | undefined) => (value ? new Date(value) : new Date());

/** The latest published snapshot (cohort_current) and whether it holds the customer: one block of one snapshot's members. */
async function publishedMembership(
  db: Queryable,
  cohortId: string,
  customerNo: number,
): Promise<WhyAnswer['published']> {
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
