// The predictive scores a rule may read as measures: each comes from one kind of model, scored
// per run as of its asOf (src/scores/governance). The names are an allow-list: each is also the
// column of run_scores that holds it, and `<name>_q` its quantile.

export const SCORE_MEASURES = [
  'p_alive',
  'expected_purchases_90d',
  'clv_12m',
  'churn_probability',
  'upgrade_probability',
] as const;
export type ScoreMeasure = (typeof SCORE_MEASURES)[number];

export const MODEL_KINDS = ['purchasing', 'churn', 'upgrade'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export const isScoreMeasure = (name: string): name is ScoreMeasure =>
  (SCORE_MEASURES as readonly string[]).includes(name);

/** The model kind each score comes from. */
export const MODEL_OF: Record<ScoreMeasure, ModelKind> = {
  p_alive: 'purchasing',
  expected_purchases_90d: 'purchasing',
  clv_12m: 'purchasing',
  churn_probability: 'churn',
  upgrade_probability: 'upgrade',
};

/** Scores that are probabilities: bounds outside [0, 1] always or never hold. */
export const PROBABILITY_SCORES: readonly ScoreMeasure[] = ['p_alive', 'churn_probability', 'upgrade_probability'];

/** How each score is computed, as `explain` and the docs say it. */
export const SCORE_FORMULAS: Record<ScoreMeasure, string> = {
  p_alive:
    "BG/NBD P(alive | x, tₓ, T) from the customer's invoice_paid days up to asOf (x repeat purchase days, tₓ first to last, T first to asOf, in days); missing without a purchase",
  expected_purchases_90d:
    'BG/NBD expected purchase days in the 90 days after asOf, E[X(T, T+90) | x, tₓ, T]; missing without a purchase',
  clv_12m:
    'Σ over 12 months of 30 days of Gamma-Gamma E[M | x, m̄] × BG/NBD expected purchases in the month, discounted at 1 % a month; USD revenue; missing without a purchase',
  churn_probability:
    'logistic regression on the measures at asOf (recency, frequency, monetary, velocity, support, failed payments, tenure, plan): probability of subscription_cancelled within 30 days; paying (paid, reactivated) customers only',
  upgrade_probability:
    'logistic regression on the measures at asOf: probability of subscription_upgraded within 30 days; customers not churned only',
};
