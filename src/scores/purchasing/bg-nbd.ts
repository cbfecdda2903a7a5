import { minimise } from '../numerics/minimise';
import { checkPurchaseHistories, type PurchaseHistories } from './purchase-history';

// The BG/NBD model (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while
// alive, a customer buys at rate λ ~ Gamma(r, α); after each repeat purchase they drop out for
// good with probability p ~ Beta(a, b). Fitted by maximum likelihood on (x, t_x, T).

export interface BgNbdParameters {
  r: number;
  /** In the histories' time unit (days in cohortflow). */
  alpha: number;
  a: number;
  b: number;
}

export interface BgNbdFit {
  parameters: BgNbdParameters;
  /** ln L at the parameters, in the histories' time unit. */
  logLikelihood: number;
  customers: number;
  iterations: number;
  converged: boolean;
}

/**
 * Per customer: ln L = A₁ + A₂ + ln(e^A₃ + [x > 0] e^A₄), with
 * A₁ = ln Γ(r + x) − ln Γ(r) + r ln α, A₂ = ln Γ(a + b) + ln Γ(b + x) − ln Γ(b) − ln Γ(a + b + x),
 * A₃ = −(r + x) ln(α + T), A₄ = ln a − ln(b + x − 1) − (r + x) ln(α + t_x).
 * x is a whole number, so the Γ ratios (and the ψ differences of the gradient) are running
 * products (sums) over 0…max x, built once per evaluation: no special function per customer.
 */
class Increments {
  readonly lnRatio: Float64Array;
  readonly psiDifference: Float64Array;
  /** lnRatio[x] = ln Γ(s + x) − ln Γ(s), psiDifference[x] = ψ(s + x) − ψ(s). */
  constructor(s: number, maxX: number) {
    this.lnRatio = new Float64Array(maxX + 1);
    this.psiDifference = new Float64Array(maxX + 1);
    for (let x = 1; x <= maxX; x += 1) {
      this.lnRatio[x] = this.lnRatio[x - 1]! + Math.log(s + x - 1);
      this.psiDifference[x] = this.psiDifference[x - 1]! + 1 / (s + x - 1);
    }
  }
}

const maxOf = (column: Float64Array) => column.reduce((max, v) => Math.max(max, v), 0);

/** Σ ln L over the customers and, when `gradient` is given, its derivatives in (r, α, a, b). */
function logLikelihoodAndGradient(
  { r, alpha, a, b }: BgNbdParameters,
  { frequency, recency, age }: PurchaseHistories,
  gradient?: Float64Array,
): number {
  const maxX = maxOf(frequency);
  const fromR = new Increments(r, maxX);
  const fromB = new Increments(b, maxX);
  const fromAB = new Increments(a + b, maxX);
  const lnAlpha = Math.log(alpha);
  const lnA = Math.log(a);
  let total = 0;
  let dr = 0;
  let dAlpha = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < frequency.length; i += 1) {
    const x = frequency[i]!;
    const lnAlphaT = Math.log(alpha + age[i]!);
    const a3 = -(r + x) * lnAlphaT;
    let combined = a3;
    let w4 = 0;
    if (x > 0) {
      const lnAlphaTx = Math.log(alpha + recency[i]!);
      const a4 = lnA - Math.log(b + x - 1) - (r + x) * lnAlphaTx;
      const high = Math.max(a3, a4);
      combined = high + Math.log(Math.exp(a3 - high) + Math.exp(a4 - high));
      w4 = Math.exp(a4 - combined);
      if (gradient) {
        dr -= w4 * lnAlphaTx;
        dAlpha -= (w4 * (r + x)) / (alpha + recency[i]!);
        da += w4 / a;
        db -= w4 / (b + x - 1);
      }
    }
    total += fromR.lnRatio[x]! + r * lnAlpha + fromB.lnRatio[x]! - fromAB.lnRatio[x]! + combined;
    if (gradient) {
      const w3 = 1 - w4;
      dr += fromR.psiDifference[x]! + lnAlpha - w3 * lnAlphaT;
      dAlpha += r / alpha - (w3 * (r + x)) / (alpha + age[i]!);
      da -= fromAB.psiDifference[x]!;
      db += fromB.psiDifference[x]! - fromAB.psiDifference[x]!;
    }
  }
  if (gradient) gradient.set([dr, dAlpha, da, db]);
  return total;
}

/** Σ over the customers of ln L(r, α, a, b | x, t_x, T). */
export function bgNbdLogLikelihood(parameters: BgNbdParameters, histories: PurchaseHistories): number {
  checkPurchaseHistories(histories);
  return logLikelihoodAndGradient(parameters, histories);
}

/** The same, with its gradient in (r, α, a, b): what the fit climbs, exposed to be checked. */
export function bgNbdLogLikelihoodGradient(parameters: BgNbdParameters, histories: PurchaseHistories): Float64Array {
  checkPurchaseHistories(histories);
  const gradient = new Float64Array(4);
  logLikelihoodAndGradient(parameters, histories, gradient);
  return gradient;
}

const scaleHistories = (h: PurchaseHistories, scale: number): PurchaseHistories => ({
  frequency: h.frequency,
  recency: h.recency.map((t) => t * scale),
  age: h.age.map((t) => t * scale),
});

/**
 * The maximum-likelihood parameters. Time is rescaled so the oldest customer's age is 1 while
 * fitting (α then lies near 1 whatever the unit), and the parameters are fitted on their
 * logarithms so the search never leaves the admissible region.
 */
export function fitBgNbd(histories: PurchaseHistories): BgNbdFit {
  checkPurchaseHistories(histories);
  const customers = histories.frequency.length;
  if (customers === 0) throw new RangeError('fitBgNbd: no customers to fit');
  if (maxOf(histories.frequency) === 0)
    throw new RangeError('fitBgNbd: no customer has a repeat purchase, so the dropout process cannot be fitted');
  const oldest = maxOf(histories.age);
  if (!(oldest > 0)) throw new RangeError('fitBgNbd: every customer has age 0');
  const scale = 1 / oldest;
  const scaled = scaleHistories(histories, scale);
  const natural = new Float64Array(4);
  const minimum = minimise(
    (theta, gradient) => {
      const [r, alpha, a, b] = Array.from(theta, Math.exp) as [number, number, number, number];
      const value = logLikelihoodAndGradient({ r, alpha, a, b }, scaled, natural);
      // d/d ln θ = θ · d/dθ; the mean keeps the tolerance independent of the number of customers.
      for (let k = 0; k < 4; k += 1) gradient[k] = (-natural[k]! * Math.exp(theta[k]!)) / customers;
      return -value / customers;
    },
    [0, 0, 0, 0],
  );
  const [r, scaledAlpha, a, b] = Array.from(minimum.x, Math.exp) as [number, number, number, number];
  const parameters = { r, alpha: scaledAlpha / scale, a, b };
  return {
    parameters,
    logLikelihood: logLikelihoodAndGradient(parameters, histories),
    customers,
    iterations: minimum.iterations,
    converged: minimum.converged,
  };
}
