import { digamma, lnGamma } from '../numerics/special-functions';
import { minimise } from '../numerics/minimise';
import { checkSpendHistories, type SpendHistories } from './purchase-history';

// The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves
// for customer base analysis", and Fader & Hardie's note "The Gamma-Gamma model of monetary
// value"): each transaction's value is Gamma(p, ν), a customer's ν is Gamma(q, γ), independent
// of how often they buy. Fitted on repeat buyers only: their mean spend m̄ over x transactions.

export interface GammaGammaParameters {
  p: number;
  q: number;
  /** In the currency of the spends (USD in cohortflow). */
  gamma: number;
}

export interface GammaGammaFit {
  parameters: GammaGammaParameters;
  logLikelihood: number;
  /** Repeat buyers the fit used. */
  customers: number;
  /**
   * Pearson correlation of frequency and mean spend among them. The model assumes the two are
   * independent; a correlation far from 0 says its spend predictions are biased.
   */
  frequencySpendCorrelation: number;
  iterations: number;
  converged: boolean;
}

interface RepeatBuyers {
  frequency: Float64Array;
  meanSpend: Float64Array;
  lnFrequency: Float64Array;
  lnSpend: Float64Array;
}

function repeatBuyers(histories: SpendHistories, spendScale: number): RepeatBuyers {
  const keep = [...histories.frequency.keys()].filter((i) => histories.frequency[i]! > 0);
  const frequency = Float64Array.from(keep, (i) => histories.frequency[i]!);
  const meanSpend = Float64Array.from(keep, (i) => histories.meanSpend[i]! * spendScale);
  return { frequency, meanSpend, lnFrequency: frequency.map(Math.log), lnSpend: meanSpend.map(Math.log) };
}

/**
 * Per repeat buyer: ln f(m̄ | x) = ln Γ(px + q) − ln Γ(px) − ln Γ(q) + q ln γ + (px − 1) ln m̄
 * + px ln x − (px + q) ln(x m̄ + γ); summed, with its gradient in (p, q, γ) when asked.
 */
function logLikelihoodAndGradient(
  { p, q, gamma }: GammaGammaParameters,
  buyers: RepeatBuyers,
  gradient?: Float64Array,
): number {
  const lnGammaQ = lnGamma(q);
  const psiQ = digamma(q);
  const lnG = Math.log(gamma);
  // Γ and ψ at px and px + q depend on x only, a small whole number: once per distinct x.
  const perX = new Map<number, { lnRatio: number; psiSum: number; psiShape: number }>();
  let total = 0;
  let dp = 0;
  let dq = 0;
  let dGamma = 0;
  for (let i = 0; i < buyers.frequency.length; i += 1) {
    const x = buyers.frequency[i]!;
    let atX = perX.get(x);
    if (!atX) {
      atX = { lnRatio: lnGamma(p * x + q) - lnGamma(p * x), psiSum: digamma(p * x + q), psiShape: digamma(p * x) };
      perX.set(x, atX);
    }
    const m = buyers.meanSpend[i]!;
    const lnTotal = Math.log(x * m + gamma);
    total +=
      atX.lnRatio -
      lnGammaQ +
      q * lnG +
      (p * x - 1) * buyers.lnSpend[i]! +
      p * x * buyers.lnFrequency[i]! -
      (p * x + q) * lnTotal;
    if (gradient) {
      dp += x * (atX.psiSum - atX.psiShape + buyers.lnSpend[i]! + buyers.lnFrequency[i]! - lnTotal);
      dq += atX.psiSum - psiQ + lnG - lnTotal;
      dGamma += q / gamma - (p * x + q) / (x * m + gamma);
    }
  }
  if (gradient) gradient.set([dp, dq, dGamma]);
  return total;
}

/** Σ over the repeat buyers of ln f(m̄ | x; p, q, γ); customers without a repeat purchase add nothing. */
export function gammaGammaLogLikelihood(parameters: GammaGammaParameters, histories: SpendHistories): number {
  checkSpendHistories(histories);
  return logLikelihoodAndGradient(parameters, repeatBuyers(histories, 1));
}

function correlation(u: Float64Array, v: Float64Array): number {
  const n = u.length;
  const mu = u.reduce((s, x) => s + x, 0) / n;
  const mv = v.reduce((s, x) => s + x, 0) / n;
  let suv = 0;
  let suu = 0;
  let svv = 0;
  for (let i = 0; i < n; i += 1) {
    suv += (u[i]! - mu) * (v[i]! - mv);
    suu += (u[i]! - mu) ** 2;
    svv += (v[i]! - mv) ** 2;
  }
  return suu === 0 || svv === 0 ? 0 : suv / Math.sqrt(suu * svv);
}

/**
 * The maximum-likelihood parameters from the repeat buyers. Spends are rescaled to a mean of 1
 * while fitting (γ then lies near 1 whatever the currency), on log-parameters.
 */
export function fitGammaGamma(histories: SpendHistories): GammaGammaFit {
  checkSpendHistories(histories);
  const unscaled = repeatBuyers(histories, 1);
  const customers = unscaled.frequency.length;
  if (customers < 2) throw new RangeError(`fitGammaGamma: needs at least 2 repeat buyers, got ${customers}`);
  const scale = customers / unscaled.meanSpend.reduce((s, m) => s + m, 0);
  const buyers = repeatBuyers(histories, scale);
  const natural = new Float64Array(3);
  const minimum = minimise(
    (theta, gradient) => {
      const [p, q, gamma] = Array.from(theta, Math.exp) as [number, number, number];
      const value = logLikelihoodAndGradient({ p, q, gamma }, buyers, natural);
      for (let k = 0; k < 3; k += 1) gradient[k] = (-natural[k]! * Math.exp(theta[k]!)) / customers;
      return -value / customers;
    },
    [0, 0, 0],
  );
  const [p, q, scaledGamma] = Array.from(minimum.x, Math.exp) as [number, number, number];
  const parameters = { p, q, gamma: scaledGamma / scale };
  return {
    parameters,
    logLikelihood: logLikelihoodAndGradient(parameters, unscaled),
    customers,
    frequencySpendCorrelation: correlation(unscaled.frequency, unscaled.meanSpend),
    iterations: minimum.iterations,
    converged: minimum.converged,
  };
}

/**
 * E[M | x, m̄] = (γ + x m̄) p / (p x + q − 1): a weighted mean of the population's mean spend
 * p γ / (q − 1) and the customer's own m̄, the weight on m̄ growing with x. For x = 0, the
 * population mean. Needs q > 1 (otherwise the population mean is infinite).
 */
export function expectedMeanSpend({ p, q, gamma }: GammaGammaParameters, frequency: number, meanSpend: number): number {
  if (!(q > 1)) throw new RangeError(`Gamma-Gamma q must be > 1 for a finite mean spend, got q=${q}`);
  return frequency === 0 ? (p * gamma) / (q - 1) : (p * (gamma + frequency * meanSpend)) / (p * frequency + q - 1);
}
