/**
 * |actual − expected| ≤ relative · |expected| (absolute `floor` when expected is 0), with a
 * message that names the case, for comparisons against reference figures.
 */
export function expectRelativelyClose(actual: number | null, expected: number | null, relative: number, what: string) {
  if (expected === null || actual === null) {
    if (actual !== expected) throw new Error(`${what}: expected ${expected}, got ${actual}`);
    return;
  }
  const allowed = expected === 0 ? 1e-15 : relative * Math.abs(expected);
  const error = Math.abs(actual - expected);
  if (!(error <= allowed))
    throw new Error(
      `${what}: expected ${expected}, got ${actual} (relative error ${(error / Math.abs(expected || 1)).toExponential(2)}, allowed ${relative})`,
    );
}
