// Quasi-Newton minimisation (BFGS) for the maximum-likelihood fits. The models have three or
// four parameters, fitted on their logarithms so every value is admissible; with analytic
// gradients BFGS reaches the optimum to near machine precision in a few dozen steps. Written
// here rather than taken from npm: the JavaScript optimisers there are unmaintained, and this
// is a hundred lines that the reference tests pin down.

/** The objective's value at x; writes its gradient into `gradient`. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface MinimiseOptions {
  /** Converged once every |∂f/∂xᵢ| is at most this. */
  gradientTolerance?: number;
  /**
   * Converged once the quasi-Newton step promises to lower f by less than this share of |f|:
   * below it f's own rounding hides any further progress (sums over many customers).
   */
  relativeDecreaseTolerance?: number;
  maxIterations?: number;
}

export interface Minimum {
  x: Float64Array;
  value: number;
  gradient: Float64Array;
  iterations: number;
  evaluations: number;
  /** False when the iteration limit was reached or no step could lower f before the gradient was small. */
  converged: boolean;
}

const ARMIJO = 1e-4;
/** Rounding allowance of f in the line search: a step that changes f only in its last digits is not a rise. */
const ROUNDING = 1e-15;
const SHRINK = 0.5;
const MIN_STEP = 1e-20;

const dot = (u: Float64Array, v: Float64Array) => u.reduce((sum, ui, i) => sum + ui * v[i]!, 0);
const largest = (v: Float64Array) => v.reduce((max, vi) => Math.max(max, Math.abs(vi)), 0);

/** H ← (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ, the BFGS update of the inverse Hessian. */
function updateInverseHessian(h: Float64Array[], s: Float64Array, y: Float64Array): void {
  const n = s.length;
  const rho = 1 / dot(y, s);
  const hy = h.map((row) => dot(row, y));
  const yhy = dot(y, Float64Array.from(hy));
  for (let i = 0; i < n; i += 1)
    for (let j = 0; j < n; j += 1)
      h[i]![j] += rho * ((1 + rho * yhy) * s[i]! * s[j]! - hy[i]! * s[j]! - s[i]! * hy[j]!);
}

/** The point of least f from `start`, by BFGS with a backtracking (Armijo) line search. */
export function minimise(f: Objective, start: ArrayLike<number>, options: MinimiseOptions = {}): Minimum {
  const tolerance = options.gradientTolerance ?? 1e-9;
  const decreaseTolerance = options.relativeDecreaseTolerance ?? 1e-15;
  const maxIterations = options.maxIterations ?? 500;
  const n = start.length;
  let x = Float64Array.from(start);
  let gradient = new Float64Array(n);
  let value = f(x, gradient);
  let evaluations = 1;
  if (!Number.isFinite(value)) throw new RangeError(`objective is not finite at the start point [${[...x]}]`);
  const h = Array.from({ length: n }, (_, i) => Float64Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let firstStep = true;
  for (let iteration = 0; iteration < maxIterations; iteration += 1) {
    if (largest(gradient) <= tolerance)
      return { x, value, gradient, iterations: iteration, evaluations, converged: true };
    const direction = Float64Array.from(h, (row) => -dot(row, gradient));
    let slope = dot(direction, gradient);
    if (!(slope < 0)) {
      // The curvature estimate has gone bad: restart from steepest descent.
      h.forEach((row, i) => row.fill(0).fill(1, i, i + 1));
      direction.set(gradient.map((g) => -g));
      slope = dot(direction, gradient);
    }
    const noise = ROUNDING * (1 + Math.abs(value));
    if (!firstStep && -slope / 2 <= decreaseTolerance * (1 + Math.abs(value)))
      return { x, value, gradient, iterations: iteration, evaluations, converged: true };
    // Before any curvature is known, keep the first trial step to a unit length.
    let step = firstStep ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const trial = new Float64Array(n);
    const trialGradient = new Float64Array(n);
    let trialValue = NaN;
    for (; step >= MIN_STEP; step *= SHRINK) {
      for (let i = 0; i < n; i += 1) trial[i] = x[i]! + step * direction[i]!;
      trialValue = f(trial, trialGradient);
      evaluations += 1;
      if (Number.isFinite(trialValue) && trialValue <= value + ARMIJO * step * slope + noise) break;
    }
    if (step < MIN_STEP) return { x, value, gradient, iterations: iteration, evaluations, converged: false };
    const s = trial.map((ti, i) => ti - x[i]!);
    const y = trialGradient.map((gi, i) => gi - gradient[i]!);
    const curvature = dot(y, s);
    if (curvature > 0) {
      if (firstStep) h.forEach((row, i) => row.fill(0).fill(curvature / dot(y, y), i, i + 1));
      updateInverseHessian(h, s, y);
      firstStep = false;
    }
    x = trial;
    gradient = trialGradient;
    value = trialValue;
  }
  return { x, value, gradient, iterations: maxIterations, evaluations, converged: largest(gradient) <= tolerance };
}
