import { compileCohort, measuresOf } from '../../src/cohorts/compile';
import { keepFeatures } from '../../src/cohorts/customer-state';
import type { CohortDefinition } from '../../src/cohorts/definition';
import { featuresOf } from '../../src/cohorts/features';
import { readPath, type ReadPath } from '../../src/cohorts/measures-sql';
import type { Db } from '../../src/data/db';

/**
 * The members of the self-contained statement preview and explain run, read where the engine
 * would read them (the derived state when it holds what asOf sees, its features kept first), or
 * from the raw rows when `from` says so; with the path taken.
 */
export async function statementMembers(
  db: Db,
  def: CohortDefinition,
  catalog: ReadonlyMap<string, CohortDefinition>,
  asOf: Date,
  from?: 'events',
): Promise<{ members: string[]; from: ReadPath['from'] }> {
  const set = measuresOf(def, catalog);
  if (!from) await keepFeatures(db, featuresOf(set));
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const path: ReadPath = from ? { from } : await readPath(tx, asOf, set);
    const { sql, params } = compileCohort(def, catalog, asOf, path);
    const r = await tx.query<{ customer_id: string }>(sql, params);
    return { members: r.rows.map((x) => x.customer_id).sort(), from: path.from };
  });
}
