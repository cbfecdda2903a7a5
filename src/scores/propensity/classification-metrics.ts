// How well predicted probabilities separate and match what happened, on the validation rows:
// AUC (ranking), Brier score and log loss (accuracy of the probabilities themselves) and a
// reliability table (are customers given 30 % churning at about 30 %?).

/** Area under the ROC curve: P(a random positive scores above a random negative), ties counting ½. */
export function areaUnderCurve(scores: Float64Array, labels: Uint8Array): number | undefined {
  const order = Int32Array.from(scores.keys()).sort((i, j) => scores[i]! - scores[j]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]!] === scores[order[start]!]) end += 1;
    // Ranks start at 1; tied scores share their mean rank.
    const meanRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k += 1)
      if (labels[order[k]!] === 1) {
        positives += 1;
        positiveRankSum += meanRank;
      }
    start = end + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return undefined;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Mean of (p − y)²: 0 is perfect, 0.25 is a constant guess of ½. */
export const brierScore = (probabilities: Float64Array, labels: Uint8Array): number =>
  probabilities.reduce((s, p, i) => s + (p - labels[i]!) ** 2, 0) / probabilities.length;

/** Mean of −[y ln p + (1 − y) ln(1 − p)], with p kept within [1e-15, 1 − 1e-15]. */
export const meanLogLoss = (probabilities: Float64Array, labels: Uint8Array): number =>
  probabilities.reduce((s, p, i) => {
    const q = Math.min(Math.max(p, 1e-15), 1 - 1e-15);
    return s - (labels[i] === 1 ? Math.log(q) : Math.log(1 - q));
  }, 0) / probabilities.length;

export interface ReliabilityBin {
  /** Predicted probabilities in (from, to]; the first bin includes 0. */
  from: number;
  to: number;
  rows: number;
  meanPredicted: number;
  observedRate: number;
}

/** Equal-width bins of predicted probability; empty bins are left out. */
export function reliabilityTable(probabilities: Float64Array, labels: Uint8Array, bins = 10): ReliabilityBin[] {
  const rows = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const observed = new Float64Array(bins);
  probabilities.forEach((p, i) => {
    const bin = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    rows[bin] += 1;
    predicted[bin] += p;
    observed[bin] += labels[i]!;
  });
  const table: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b += 1)
    if (rows[b]! > 0)
      table.push({
        from: b / bins,
        to: (b + 1) / bins,
        rows: rows[b]!,
        meanPredicted: predicted[b]! / rows[b]!,
        observedRate: observed[b]! / rows[b]!,
      });
  return table;
}
