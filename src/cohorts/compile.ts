import type { CohortDefinition, Rule } from './definition';

/** Trait name → column of `customers`: the only identifiers a rule can reach. */
const TRAIT_COLUMNS = {
  plan: 'c.plan',
  country: 'c.country',
  lifecycle_stage: 'c.lifecycle_stage',
  signup_at: 'c.signup_at',
} as const;

export interface CompiledCohort {
  /** Selects the member customer ids; $1 is always asOf. */
  sql: string;
  params: unknown[];
}

/**
 * Compiles a rule to one parameterised statement. User values only ever become parameters;
 * identifiers only come from TRAIT_COLUMNS. Point in time: only events that had both happened
 * and been ingested by asOf count.
 */
export function compileCohort(def: CohortDefinition, asOf: Date): CompiledCohort {
  const params: unknown[] = [asOf.toISOString()];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // One aggregate per event condition, joined to customers: set-based, one scan of the window.
  const counts: string[] = [];

  const expr = (rule: Rule): string => {
    if ('all' in rule) return `(${rule.all.map(expr).join(' AND ')})`;
    if ('any' in rule) return `(${rule.any.map(expr).join(' OR ')})`;
    if ('none' in rule) return `(NOT (${rule.none.map(expr).join(' OR ')}))`;
    if ('event' in rule) {
      const { type, within, count } = rule.event;
      const days = Number(within.slice(0, -1));
      const alias = `ev${counts.length + 1}`;
      counts.push(`LEFT JOIN (SELECT customer_id, count(*) AS n FROM events
        WHERE event_type = ${param(type)} AND customer_id IS NOT NULL
          AND occurred_at > $1::timestamptz - make_interval(days => ${param(days)})
          AND occurred_at <= $1::timestamptz AND ingested_at <= $1::timestamptz
        GROUP BY customer_id) ${alias} ON ${alias}.customer_id = c.customer_id`);
      const counted = `COALESCE(${alias}.n, 0)`;
      const bounds = [
        count.gte !== undefined ? `${counted} >= ${param(count.gte)}` : undefined,
        count.lte !== undefined ? `${counted} <= ${param(count.lte)}` : undefined,
      ].filter(Boolean);
      return `(${bounds.join(' AND ')})`;
    }
    // An unknown trait (NULL) never matches, and COALESCE keeps it false under `none`.
    const t = rule.trait;
    const column = TRAIT_COLUMNS[t.name];
    if (t.in) return `COALESCE(${column}::text = ANY(${param(t.in)}::text[]), false)`;
    if (t.notIn) return `COALESCE(NOT (${column}::text = ANY(${param(t.notIn)}::text[])), false)`;
    return `COALESCE(${column} > $1::timestamptz - make_interval(days => ${param(t.withinDays)}) AND ${column} <= $1::timestamptz, false)`;
  };

  const where = expr(def.rule);
  const sql = `SELECT c.customer_id FROM customers c
    ${counts.join('\n    ')}
    WHERE c.first_seen_at <= $1::timestamptz AND ${where}`;
  return { sql, params };
}
