import type { Queryable } from '../data/db';
import { measuresOf } from './compile';
import type { CohortDefinition } from './definition';
import { measuresQuery, overMeasures, Params, type ReadPath, type ScoreSource } from './measures-sql';

/** One customer's row of a cohort's measures relation: traits and measure columns by name. */
export type MeasureRow = Record<string, unknown>;

/**
 * The cohort's measures (with those of the cohorts it refers to) for one customer at asOf: the
 * figures `why` shows. Day columns (first/last) come back as 'YYYY-MM-DD' text, so reading them
 * never depends on the process's time zone.
 */
export function memberMeasuresQuery(
  def: CohortDefinition,
  catalog: ReadonlyMap<string, CohortDefinition>,
  asOf: Date,
  path: ReadPath,
  customerId: string,
  scores?: ScoreSource,
): { sql: string; params: unknown[] } {
  const p = new Params(asOf);
  const measures = measuresQuery(measuresOf(def, catalog), p, path, asOf, { customerId, scores });
  // Column names come from an enum or a hash (measures.ts), never from user text.
  const select = measures.columns.map((c) =>
    c.type === 'date' ? `to_char(m.${c.name}, 'YYYY-MM-DD') AS ${c.name}` : `m.${c.name}`,
  );
  return { sql: overMeasures(measures, (m) => `SELECT ${select.join(', ')} FROM ${m}`), params: p.values };
}

/** Undefined when the customer did not exist at asOf (measures hold only customers seen by then). */
export async function memberMeasures(
  db: Queryable,
  def: CohortDefinition,
  catalog: ReadonlyMap<string, CohortDefinition>,
  asOf: Date,
  path: ReadPath,
  customerId: string,
  scores?: ScoreSource,
): Promise<MeasureRow | undefined> {
  const { sql, params } = memberMeasuresQuery(def, catalog, asOf, path, customerId, scores);
  return (await db.query<MeasureRow>(sql, params)).rows[0];
}
