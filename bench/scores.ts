import { parseArgs } from 'node:util';
import type { FeatureColumns } from '../src/scores/propensity/feature-table';
import { scorePropensity, trainPropensityModel } from '../src/scores/propensity/propensity-model';
import { fitBgNbd } from '../src/scores/purchasing/bg-nbd';
import { fitGammaGamma } from '../src/scores/purchasing/gamma-gamma';
import { scorePurchasing } from '../src/scores/purchasing/score-customers';
import { simulateCustomers } from '../src/scores/purchasing/simulate-purchases';
import { mulberry32 } from '../src/sources/generate/random';

// The score models' speed on this machine: fitting on a sample and scoring a million customers
// (target ≤ 10 s each), in the worker's process over typed columns, with no database. Times are
// wall-clock; CPU time is printed beside them because the machine's two cores are shared.

const TARGET_MS = 10_000;
const DAY_MS = 86_400_000;
/** Daily purchasing drawn from the models: a purchase every ~50 days while alive, ~$60 each. */
const TRUTH = { bgNbd: { r: 0.8, alpha: 40, a: 0.9, b: 3 }, spend: { p: 4, q: 5, gamma: 60 } };
const HORIZONS = {
  purchasesWithin: 90,
  lifetimeValue: { months: 12, monthlyDiscountRate: 0.01, timeUnitsPerMonth: 30 },
};

function timed<T>(work: () => T): [T, string] {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const result = work();
  const wall = performance.now() - t0;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return [
    result,
    `${(wall / 1000).toFixed(2)} s (CPU ${(cpuMs / 1000).toFixed(2)} s; ${(wall / TARGET_MS).toFixed(2)}× the 10 s target)`,
  ];
}

/** A subscription book at monthly asOfs: measures, plan and a churn label from a known logistic rule. */
function subscriptionBook(customers: number, asOfs: number, seed: number) {
  const random = mulberry32(seed);
  const rows = customers * asOfs;
  const column = () => new Float64Array(rows);
  const numeric = {
    recency_days: column(),
    frequency: column(),
    velocity: column(),
    support_intensity: column(),
    failed_payments: column(),
    tenure_days: column(),
  };
  const plan = new Int32Array(rows);
  const asOf = new Float64Array(rows);
  const labels = new Uint8Array(rows);
  for (let i = 0; i < rows; i += 1) {
    asOf[i] = Date.UTC(2025, 0, 1) + Math.floor(i / customers) * 30 * DAY_MS;
    const frequency = Math.floor(random() * 31);
    numeric.frequency[i] = frequency;
    numeric.recency_days[i] = frequency === 0 ? NaN : Math.floor(random() * (31 - frequency));
    numeric.velocity[i] = random() < 0.15 ? NaN : 2 * random();
    numeric.support_intensity[i] = random() < 0.3 ? 1 + Math.floor(random() * 3) : 0;
    numeric.failed_payments[i] = random() < 0.1 ? 1 : 0;
    numeric.tenure_days[i] = Math.floor(random() * 1000);
    plan[i] = Math.floor(random() * 3);
    const logit =
      -1 - 0.08 * frequency + 0.7 * numeric.failed_payments[i]! + 0.3 * numeric.support_intensity[i]! - 0.4 * plan[i]!;
    labels[i] = random() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  const features: FeatureColumns = {
    rows,
    numeric,
    categories: { plan: { levels: ['free', 'pro', 'enterprise'], codes: plan } },
  };
  return { asOf, labels, features };
}

export async function benchScores(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      customers: { type: 'string', default: '1000000' },
      'fit-sample': { type: 'string', default: '100000' },
      'propensity-asofs': { type: 'string', default: '12' },
      seed: { type: 'string', default: '1' },
    },
  });
  const customers = Number(values.customers);
  const sample = Number(values['fit-sample']);
  const asOfs = Number(values['propensity-asofs']);
  const seed = Number(values.seed);
  const log = (line: string) => process.stdout.write(`${line}\n`);

  log(`scores: purchasing models (BG/NBD + Gamma-Gamma), time in days, spend in USD`);
  const drawn = (n: number, s: number) =>
    simulateCustomers(TRUTH.bgNbd, TRUTH.spend, { customers: n, minAge: 30, maxAge: 1095, seed: s });
  const [fitSample, sampleTime] = timed(() => drawn(sample, seed));
  log(`  drew ${sample.toLocaleString('en')} customers for the fit in ${sampleTime.split(' (')[0]}`);
  const [fits, fitTime] = timed(() => ({ bgNbd: fitBgNbd(fitSample), gammaGamma: fitGammaGamma(fitSample) }));
  log(`  fit on ${sample.toLocaleString('en')} customers: ${fitTime}`);
  log(
    `    BG/NBD ${JSON.stringify(fits.bgNbd.parameters)} (${fits.bgNbd.iterations} iterations; drawn with ${JSON.stringify(TRUTH.bgNbd)})`,
  );
  log(
    `    Gamma-Gamma ${JSON.stringify(fits.gammaGamma.parameters)} on ${fits.gammaGamma.customers.toLocaleString('en')} repeat buyers`,
  );
  const [book, bookTime] = timed(() => drawn(customers, seed + 1));
  log(`  drew ${customers.toLocaleString('en')} customers to score in ${bookTime.split(' (')[0]}`);
  const models = { bgNbd: fits.bgNbd.parameters, gammaGamma: fits.gammaGamma.parameters };
  const [scores, scoreTime] = timed(() => scorePurchasing(models, book, HORIZONS));
  log(
    `  scored ${customers.toLocaleString('en')} customers (P(alive), purchases in 90 days, spend, 12-month CLV): ${scoreTime}`,
  );
  const total = scores.lifetimeValue.reduce((s, v) => s + v, 0);
  log(
    `    mean CLV $${(total / customers).toFixed(2)}, mean P(alive) ${(scores.probabilityAlive.reduce((s, v) => s + v, 0) / customers).toFixed(3)}`,
  );

  log(`scores: churn propensity (L2 logistic regression, 7 features)`);
  const perAsOf = Math.round(sample / 2);
  const training = subscriptionBook(perAsOf, asOfs, seed + 2);
  const specs = [
    { kind: 'numeric', name: 'recency_days' },
    { kind: 'numeric', name: 'frequency' },
    { kind: 'numeric', name: 'velocity' },
    { kind: 'numeric', name: 'support_intensity', transform: 'log1p' },
    { kind: 'numeric', name: 'failed_payments', transform: 'log1p' },
    { kind: 'numeric', name: 'tenure_days', transform: 'log1p' },
    { kind: 'category', name: 'plan' },
  ] as const;
  const [model, trainTime] = timed(() =>
    trainPropensityModel({ target: 'churn', labelHorizonDays: 30, ...training }, { features: specs }),
  );
  log(
    `  trained on ${model.training.rows.toLocaleString('en')} rows, validated on ${model.validation.rows.toLocaleString('en')}: ${trainTime}`,
  );
  log(
    `    validation AUC ${model.validation.auc?.toFixed(3)}, Brier ${model.validation.brier.toFixed(4)}; ${model.promotion.reason}`,
  );
  const current = subscriptionBook(customers, 1, seed + 3);
  const [, propensityTime] = timed(() => scorePropensity(model, current.features));
  log(`  scored ${customers.toLocaleString('en')} customers: ${propensityTime}`);
}
