// The examples a propensity model learns from, and the customers it scores, arrive as typed
// columns (one entry per row): numeric measures as Float64Array with NaN for a missing value
// (a velocity without an earlier window, a recency without activity), categories as codes into
// a list of levels. Training fixes how each becomes standardised model columns; scoring reuses
// exactly that, so a model is applied to new customers as it was fitted.

export type FeatureSpec =
  | { kind: 'numeric'; name: string; /** log1p suits counts and spans with a long right tail. */ transform?: 'log1p' }
  | { kind: 'category'; name: string };

export interface CategoryColumn {
  levels: readonly string[];
  /** Index into levels per row; −1 when missing. */
  codes: Int32Array;
}

export interface FeatureColumns {
  rows: number;
  numeric: Readonly<Record<string, Float64Array>>;
  categories: Readonly<Record<string, CategoryColumn>>;
}

/** One column of the model, as learnt from the training rows. */
export interface ModelColumn {
  /** e.g. `velocity`, `velocity (missing)`, `plan = pro`. */
  name: string;
  feature: string;
  kind: 'value' | 'missing' | 'level';
  transform?: 'log1p';
  level?: string;
  /** Standardisation: (v − center) / scale; for a value column, a missing v is taken as center. */
  center: number;
  scale: number;
}

function numericColumn(table: FeatureColumns, name: string): Float64Array {
  const column = table.numeric[name];
  if (!column) throw new RangeError(`feature "${name}": no numeric column of that name`);
  if (column.length !== table.rows)
    throw new RangeError(`feature "${name}": ${column.length} values for ${table.rows} rows`);
  return column;
}

function categoryColumn(table: FeatureColumns, name: string): CategoryColumn {
  const column = table.categories[name];
  if (!column) throw new RangeError(`feature "${name}": no category column of that name`);
  if (column.codes.length !== table.rows)
    throw new RangeError(`feature "${name}": ${column.codes.length} codes for ${table.rows} rows`);
  column.codes.forEach((code, row) => {
    if (!(code === -1 || (code >= 0 && code < column.levels.length)))
      throw new RangeError(`feature "${name}", row ${row}: code ${code} is not −1 or a level index`);
  });
  return column;
}

function transformed(value: number, transform: 'log1p' | undefined, feature: string, row: number): number {
  if (Number.isNaN(value) || transform === undefined) return value;
  if (!(value >= 0)) throw new RangeError(`feature "${feature}", row ${row}: log1p needs a value ≥ 0, got ${value}`);
  return Math.log1p(value);
}

/** Raw (unstandardised) values of one model column over the given rows. */
function rawValues(column: Omit<ModelColumn, 'center' | 'scale'>, table: FeatureColumns, rows: Int32Array, fill = 0) {
  const out = new Float64Array(rows.length);
  if (column.kind === 'level') {
    const { levels, codes } = categoryColumn(table, column.feature);
    const index = levels.indexOf(column.level!);
    rows.forEach((row, i) => (out[i] = index >= 0 && codes[row] === index ? 1 : 0));
    return out;
  }
  const values = numericColumn(table, column.feature);
  rows.forEach((row, i) => {
    const v = transformed(values[row]!, column.transform, column.feature, row);
    if (column.kind === 'missing') out[i] = Number.isNaN(v) ? 1 : 0;
    else if (!Number.isFinite(v) && !Number.isNaN(v))
      throw new RangeError(`feature "${column.feature}", row ${row}: value ${values[row]} is not finite`);
    else out[i] = Number.isNaN(v) ? fill : v;
  });
  return out;
}

/** The mean of the values that are not NaN (0 if none is). */
function meanOfPresent(values: Float64Array): number {
  let n = 0;
  let sum = 0;
  for (const v of values)
    if (!Number.isNaN(v)) {
      n += 1;
      sum += v;
    }
  return n === 0 ? 0 : sum / n;
}

/** Population standard deviation; 1 for a constant column, which then stays all zeros. */
function scaleOf(values: Float64Array, center: number): number {
  const variance = values.reduce((s, v) => s + (v - center) ** 2, 0) / values.length;
  return variance > 0 ? Math.sqrt(variance) : 1;
}

/**
 * The model columns from the training rows: each numeric feature a value column (missing values
 * filled with the mean of the present ones) plus a missing indicator if any training value was
 * missing; each category one indicator per level seen in training. All standardised to mean 0
 * and standard deviation 1 over the training rows, so the L2 penalty treats them alike and the
 * weights compare.
 */
export function learnColumns(specs: readonly FeatureSpec[], table: FeatureColumns, rows: Int32Array): ModelColumn[] {
  const names = new Set<string>();
  const columns: ModelColumn[] = [];
  const add = (column: Omit<ModelColumn, 'center' | 'scale'>, fill?: number) => {
    const values = rawValues(column, table, rows, fill);
    const center = values.reduce((s, v) => s + v, 0) / values.length;
    columns.push({ ...column, center, scale: scaleOf(values, center) });
  };
  for (const spec of specs) {
    if (names.has(spec.name)) throw new RangeError(`feature "${spec.name}" is listed twice`);
    names.add(spec.name);
    if (spec.kind === 'category') {
      const { levels, codes } = categoryColumn(table, spec.name);
      const seen = new Set<string>();
      for (const row of rows) if (codes[row]! >= 0) seen.add(levels[codes[row]!]!);
      for (const level of [...seen].sort())
        add({ name: `${spec.name} = ${level}`, feature: spec.name, kind: 'level', level });
      continue;
    }
    const base = { feature: spec.name, ...(spec.transform ? { transform: spec.transform } : {}) };
    const missing = rawValues({ ...base, name: '', kind: 'missing' }, table, rows);
    const values = rawValues({ ...base, name: '', kind: 'value' }, table, rows, NaN);
    add({ ...base, name: spec.name, kind: 'value' }, meanOfPresent(values));
    if (missing.some((m) => m === 1)) add({ ...base, name: `${spec.name} (missing)`, kind: 'missing' });
  }
  return columns;
}

/** The standardised model columns of the given rows (all rows when omitted), one array per column. */
export function encodeColumns(
  columns: readonly ModelColumn[],
  table: FeatureColumns,
  rows?: Int32Array,
): Float64Array[] {
  const selected = rows ?? Int32Array.from({ length: table.rows }, (_, i) => i);
  return columns.map((column) =>
    rawValues(column, table, selected, column.center).map((v) => (v - column.center) / column.scale),
  );
}
