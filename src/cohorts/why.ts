import {
  windowDays,
  type Bounds,
  type CohortDefinition,
  type EventCondition,
  type MeasureCondition,
  type Rule,
  type TraitCondition,
} from './definition';
import { derivedColumn, derivedOf, eventColumn, eventMeasureOf } from './measures';
import type { MeasureRow } from './member-measures';
import { combination, isCombination } from './rule-walk';

// Why a customer is (not) in a cohort: the rule tree evaluated in TypeScript against the
// customer's measures row, with the same semantics as the SQL predicate (compile.ts): a missing
// value never holds, `none` is "not any", first/last and signup compare UTC day numbers.

export interface WhyNode {
  /** Where the condition sits: `rule.all.1` in the cohort, `paying-customers:rule.any.0` in a referenced one. */
  at: string;
  kind: 'all' | 'any' | 'none' | 'in_cohort' | 'event' | 'trait' | 'measure';
  holds: boolean;
  /** The condition with the figures that decided it, e.g. `event login within 30d count = 7 (gte 5)`. */
  text: string;
  children?: WhyNode[];
}

const DAY_MS = 86_400_000;

/** UTC day number of a 'YYYY-MM-DD' day, an ISO time or a Date; undefined when there is none. */
export function dayNumber(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : Math.floor(value.getTime() / DAY_MS);
  if (typeof value !== 'string') return undefined;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(`${value}T00:00:00Z`) : Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / DAY_MS);
}

const dayText = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

const numberOf = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
};

/** Figures as people read them: at most four decimals, "none" for a missing value. */
const shown = (value: unknown): string => {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'number') return String(Number(value.toFixed(4)));
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
};

const BOUND_KEYS = ['gte', 'gt', 'lte', 'lt'] as const;

function meetsBounds(value: unknown, b: Bounds): boolean {
  const n = numberOf(value);
  if (n === undefined) return false;
  return (
    (b.gte === undefined || n >= b.gte) &&
    (b.gt === undefined || n > b.gt) &&
    (b.lte === undefined || n <= b.lte) &&
    (b.lt === undefined || n < b.lt)
  );
}

const boundsText = (b: Bounds) =>
  BOUND_KEYS.filter((k) => b[k] !== undefined)
    .map((k) => `${k} ${b[k]}`)
    .join(', ');

export interface WhyContext {
  asOf: Date;
  /** The catalog the cohort was compiled with: in_cohort reads the referenced cohort's rule from it. */
  catalog: ReadonlyMap<string, CohortDefinition>;
}

/**
 * Evaluates the rule against one customer's measures row, every node with its deciding figures.
 * A cohort reached through in_cohort more than once is explained at its first place only; later
 * places refer back to it, so the tree grows with the cohorts, not with the paths between them.
 */
export function explainRule(
  rule: Rule,
  row: MeasureRow,
  ctx: WhyContext,
  at = 'rule',
  seen: ReadonlySet<string> = new Set(),
  explained: Map<string, WhyNode> = new Map(),
): WhyNode {
  if (isCombination(rule)) {
    const { kind, parts } = combination(rule);
    const children = parts.map((r, i) => explainRule(r, row, ctx, `${at}.${kind}.${i}`, seen, explained));
    const held = children.filter((c) => c.holds).length;
    const holds = kind === 'all' ? held === children.length : kind === 'any' ? held > 0 : held === 0;
    return { at, kind, holds, text: `${kind} (${held} of ${children.length} hold)`, children };
  }
  if ('in_cohort' in rule) {
    const target = ctx.catalog.get(rule.in_cohort);
    // Cycles are refused by catalog validation; the guard keeps a bad catalog from recursing for ever.
    if (!target || seen.has(rule.in_cohort)) {
      return {
        at,
        kind: 'in_cohort',
        holds: false,
        text: `in_cohort ${rule.in_cohort} (${target ? 'refers back to itself' : 'not in the catalog'})`,
      };
    }
    const earlier = explained.get(rule.in_cohort);
    if (earlier)
      return {
        at,
        kind: 'in_cohort',
        holds: earlier.holds,
        text: `in_cohort ${rule.in_cohort} (explained above, at ${earlier.at})`,
      };
    const inner = explainRule(
      target.rule,
      row,
      ctx,
      `${rule.in_cohort}:rule`,
      new Set([...seen, rule.in_cohort]),
      explained,
    );
    const node: WhyNode = {
      at,
      kind: 'in_cohort',
      holds: inner.holds,
      text: `in_cohort ${rule.in_cohort}`,
      children: [inner],
    };
    explained.set(rule.in_cohort, node);
    return node;
  }
  if ('event' in rule) return { at, kind: 'event', ...explainEvent(rule.event, row, ctx.asOf) };
  if ('measure' in rule) return { at, kind: 'measure', ...explainMeasure(rule.measure, row) };
  return { at, kind: 'trait', ...explainTrait(rule.trait, row, ctx.asOf) };
}

function explainEvent(e: EventCondition, row: MeasureRow, asOf: Date): { holds: boolean; text: string } {
  const m = eventMeasureOf(e);
  const value = row[eventColumn(m)];
  const types = m.types === 'activity' ? 'activity' : m.types.length === 1 ? m.types[0]! : `[${m.types.join(', ')}]`;
  const where = m.where.map(([k, v]) => ` where ${k} in [${v.join(', ')}]`).join('');
  const occurrence = e.first ?? e.last;
  if (occurrence) {
    const which = e.first ? 'first' : 'last';
    const day = dayNumber(value);
    const asOfDay = dayNumber(asOf)!;
    const n = windowDays((occurrence.within ?? occurrence.before)!);
    // within N days: asOf's day or the N−1 before it; before N days: on or before asOf's day − N.
    const holds = day !== undefined && (occurrence.within ? day > asOfDay - n : day <= asOfDay - n);
    const limit = occurrence.within
      ? `within ${n}d: on or after ${dayText(asOfDay - n + 1)}`
      : `before ${n}d: on or before ${dayText(asOfDay - n)}`;
    return { holds, text: `event ${types}${where} ${which} = ${day === undefined ? 'none' : dayText(day)} (${limit})` };
  }
  const agg = e.count ? 'count' : e.sum ? 'sum' : 'distinct_days';
  const bounds = (e.count ?? e.sum ?? e.distinct_days)!;
  return {
    holds: meetsBounds(value, bounds),
    text: `event ${types}${where} within ${e.within} ${agg} = ${shown(numberOf(value) ?? value)} (${boundsText(bounds)})`,
  };
}

function explainMeasure(m: MeasureCondition, row: MeasureRow): { holds: boolean; text: string } {
  const d = derivedOf(m.name, m.window, m.as);
  const value = row[derivedColumn(d)];
  const name = d.quantile ? `${m.name} quantile` : d.days === null ? m.name : `${m.name} ${d.days}d`;
  return {
    holds: meetsBounds(value, m),
    text: `measure ${name} = ${shown(numberOf(value) ?? value)} (${boundsText(m)})`,
  };
}

function explainTrait(t: TraitCondition, row: MeasureRow, asOf: Date): { holds: boolean; text: string } {
  const value = row[t.name];
  const missing = value === null || value === undefined;
  const is = `trait ${t.name} = ${shown(value)}`;
  if (t.in || t.notIn) {
    const list = (t.in ?? t.notIn)!;
    const found = !missing && list.includes(String(value));
    return { holds: !missing && (t.in ? found : !found), text: `${is} ${t.in ? 'in' : 'not in'} [${list.join(', ')}]` };
  }
  if (t.is !== undefined) return { holds: !missing && value === t.is, text: `${is} (is ${t.is})` };
  const day = dayNumber(value);
  const asOfDay = dayNumber(asOf)!;
  if (t.within) {
    const n = windowDays(t.within);
    const at = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
    return {
      holds: day !== undefined && day > asOfDay - n && at <= asOf.getTime(),
      text: `${is} (within ${n}d: on or after ${dayText(asOfDay - n + 1)}, not after asOf)`,
    };
  }
  const n = windowDays(t.before!);
  return {
    holds: day !== undefined && day <= asOfDay - n,
    text: `${is} (before ${n}d: on or before ${dayText(asOfDay - n)})`,
  };
}

/** The tree as indented lines, each ending in ✓ or ✗. */
export function renderWhy(node: WhyNode, depth = 0): string[] {
  return [
    `${'  '.repeat(depth)}${node.text} ${node.holds ? '✓' : '✗'}`,
    ...(node.children ?? []).flatMap((c) => renderWhy(c, depth + 1)),
  ];
}
