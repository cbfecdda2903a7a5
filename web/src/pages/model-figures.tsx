import type { Answer } from '../../../src/api/schemas/contract';
import type { listModels, showModel } from '../../../src/api/schemas/models';
import { figure } from '../format';
import { Badge } from '../ui';

// How a model version reads wherever it appears (a run's gate, the Models pages): its status,
// its promotion verdict, its key metrics and its drift, the same words as `cohortflow models`.

export type ModelVersion = Answer<typeof showModel>;
export type ModelBrief = Answer<typeof listModels>['models'][number];

const STATUS_TONE: Record<string, string> = { current: 'pass', proposed: 'attention', rejected: 'fail' };

export const ModelStatus = ({ status }: { status: string }) => (
  <Badge tone={STATUS_TONE[status] ?? 'neutral'}>{status}</Badge>
);

/** The promotion rule's verdict: a version failing it is never made current, whoever approves. */
export const Promotion = ({ promotable, reason }: { promotable: boolean; reason: string }) => (
  <span data-testid="promotion">
    <Badge tone={promotable ? 'pass' : 'fail'}>{promotable ? 'promotable' : 'not promotable'}</Badge> {reason}
  </span>
);

/** The figures an approver weighs: discrimination for a propensity model, fit and sizes for purchasing. */
export function keyMetrics(kind: string, m: Record<string, unknown>): Array<[string, string]> {
  if (kind === 'purchasing')
    return [
      ['buyers', `${figure(m.buyers)} (fit on ${figure(m.fitSample)})`],
      ['repeat buyers', figure(m.repeatBuyers)],
      ['BG/NBD log-likelihood', `${figure(m.bgNbdLogLikelihood)} (${figure(m.bgNbdIterations)} iterations)`],
      ['Gamma-Gamma log-likelihood', figure(m.gammaGammaLogLikelihood)],
      ['frequency-spend correlation', figure(m.frequencySpendCorrelation)],
    ];
  return [
    ['target', figure(m.target)],
    ['validation AUC', figure(m.auc)],
    ['Brier', figure(m.brier)],
    ['log loss', figure(m.logLoss)],
  ];
}

export const MetricsLine = ({ kind, metrics }: { kind: string; metrics: Record<string, unknown> }) => (
  <span class="metrics">
    {keyMetrics(kind, metrics)
      .map(([name, value]) => `${name} ${value}`)
      .join(', ')}
  </span>
);

export function DriftText({ drift }: { drift: ModelBrief['drift'] }) {
  if (!drift) return <span data-testid="drift">none: no version was current when it was fitted</span>;
  return (
    <span data-testid="drift">
      PSI {figure(drift.psi)} of {drift.score} against {drift.against} over {figure(drift.customers)} customers
    </span>
  );
}
