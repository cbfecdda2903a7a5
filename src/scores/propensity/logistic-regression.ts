import { solvePositiveDefinite } from '../numerics/cholesky';

// L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
// squares). Minimises Σᵢ −[yᵢ ln pᵢ + (1 − yᵢ) ln(1 − pᵢ)] + (λ / 2) Σⱼ βⱼ², pᵢ = σ(β₀ + Σⱼ βⱼ xᵢⱼ),
// the intercept β₀ unpenalised: the same objective as scikit-learn's LogisticRegression with
// C = 1 / λ. The objective is strictly convex for λ > 0, so Newton's method from 0 reaches its
// one minimum in a handful of steps, deterministically.

export interface LogisticFit {
  intercept: number;
  weights: Float64Array;
  /** The objective at the solution. */
  penalisedLogLoss: number;
  iterations: number;
}

const MAX_ITERATIONS = 100;
const ROUNDING = 1e-15;

const sigmoid = (eta: number) => (eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta)));

/** −ln σ(η) for a positive label, −ln(1 − σ(η)) for a negative one, without overflow. */
const logLoss = (eta: number, label: number) =>
  (eta > 0 ? Math.log1p(Math.exp(-eta)) + eta : Math.log1p(Math.exp(eta))) - label * eta;

/** β₀ + Σⱼ βⱼ xᵢⱼ for every row. */
export function linearPredictor(
  columns: readonly Float64Array[],
  intercept: number,
  weights: Float64Array,
  rows: number,
) {
  const eta = new Float64Array(rows).fill(intercept);
  columns.forEach((column, j) => {
    const w = weights[j]!;
    for (let i = 0; i < rows; i += 1) eta[i] += w * column[i]!;
  });
  return eta;
}

export const probabilities = (eta: Float64Array): Float64Array => eta.map(sigmoid);

function objective(eta: Float64Array, labels: Uint8Array, weights: Float64Array, l2: number): number {
  let loss = 0;
  for (let i = 0; i < eta.length; i += 1) loss += logLoss(eta[i]!, labels[i]!);
  return loss + (l2 / 2) * weights.reduce((s, w) => s + w * w, 0);
}

/** Fits on columns (one Float64Array per feature, all of labels.length) and 0/1 labels. */
export function fitLogisticRegression(columns: readonly Float64Array[], labels: Uint8Array, l2: number): LogisticFit {
  const n = labels.length;
  const p = columns.length;
  if (!(l2 > 0)) throw new RangeError(`logistic regression: the L2 penalty must be > 0, got ${l2}`);
  if (n === 0) throw new RangeError('logistic regression: no rows to fit');
  columns.forEach((c, j) => {
    if (c.length !== n) throw new RangeError(`logistic regression: column ${j} has ${c.length} rows, labels ${n}`);
  });
  let intercept = 0;
  let weights = new Float64Array(p);
  let eta = linearPredictor(columns, intercept, weights, n);
  let current = objective(eta, labels, weights, l2);
  for (let iteration = 1; iteration <= MAX_ITERATIONS; iteration += 1) {
    // Gradient and Hessian over [intercept, weights]; index 0 is the intercept.
    const gradient = new Float64Array(p + 1);
    const hessian = Array.from({ length: p + 1 }, () => new Float64Array(p + 1));
    const residual = new Float64Array(n);
    const curvature = new Float64Array(n);
    for (let i = 0; i < n; i += 1) {
      const pi = sigmoid(eta[i]!);
      residual[i] = pi - labels[i]!;
      curvature[i] = pi * (1 - pi);
      gradient[0] += residual[i]!;
      hessian[0]![0] += curvature[i]!;
    }
    for (let j = 0; j < p; j += 1) {
      const cj = columns[j]!;
      let g = l2 * weights[j]!;
      let h0 = 0;
      for (let i = 0; i < n; i += 1) {
        g += residual[i]! * cj[i]!;
        h0 += curvature[i]! * cj[i]!;
      }
      gradient[j + 1] = g;
      hessian[0]![j + 1] = hessian[j + 1]![0] = h0;
      for (let k = 0; k <= j; k += 1) {
        const ck = columns[k]!;
        let h = 0;
        for (let i = 0; i < n; i += 1) h += curvature[i]! * cj[i]! * ck[i]!;
        hessian[j + 1]![k + 1] = hessian[k + 1]![j + 1] = h + (j === k ? l2 : 0);
      }
    }
    const step = solvePositiveDefinite(hessian, gradient);
    // Half the squared Newton decrement: what the full step promises to gain. Once that is below
    // the rounding of the objective, no line search can tell better from worse; the full step
    // is taken (Newton converges quadratically there) and the fit is done.
    const promised = step.reduce((s, d, j) => s + d * gradient[j]!, 0) / 2;
    if (promised <= ROUNDING * (1 + Math.abs(current))) {
      intercept -= step[0]!;
      weights = weights.map((w, j) => w - step[j + 1]!);
      eta = linearPredictor(columns, intercept, weights, n);
      return { intercept, weights, penalisedLogLoss: objective(eta, labels, weights, l2), iterations: iteration };
    }
    // Halve the Newton step until the objective does not rise (it rarely has to).
    for (let fraction = 1; ; fraction /= 2) {
      if (fraction < 1e-12)
        throw new RangeError('logistic regression: no step along the Newton direction lowers the loss');
      const nextIntercept = intercept - fraction * step[0]!;
      const nextWeights = weights.map((w, j) => w - fraction * step[j + 1]!);
      const nextEta = linearPredictor(columns, nextIntercept, nextWeights, n);
      const next = objective(nextEta, labels, nextWeights, l2);
      if (next <= current) {
        intercept = nextIntercept;
        weights = nextWeights;
        eta = nextEta;
        current = next;
        break;
      }
    }
  }
  throw new RangeError(`logistic regression did not converge in ${MAX_ITERATIONS} Newton steps`);
}
