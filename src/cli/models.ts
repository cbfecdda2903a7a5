import type { Command } from 'commander';
import type { Answer } from '../api/schemas/contract';
import { fitModel, listModels, showModel } from '../api/schemas/models';
import { callRoute } from './api-client';
import { print, table, write } from './output';

// `cohortflow models …`: the predictive model versions, through the HTTP API like every command.

type Version = Answer<typeof showModel>;

const figure = (v: unknown) => (typeof v === 'number' ? String(Number(v.toFixed(4))) : v === null ? 'none' : String(v));

/** A version as people read it: status and rule, training window, metrics, drift, who and why. */
export function renderModel(v: Version): string[] {
  const m = v.metrics;
  const headline =
    v.kind === 'purchasing'
      ? `buyers ${figure(m.buyers)} (fit on ${figure(m.fitSample)}), repeat buyers ${figure(m.repeatBuyers)}, frequency-spend correlation ${figure(m.frequencySpendCorrelation)}`
      : `validation AUC ${figure(m.auc)}, Brier ${figure(m.brier)}, log loss ${figure(m.logLoss)} (${m.target as string})`;
  return [
    `${v.modelId} (${v.kind} v${v.version}): ${v.status}`,
    `  promotion rule: ${v.promotable ? 'passes' : 'fails'} — ${v.promotionReason}`,
    `  fitted as of ${v.asOf} on ${v.trainingFrom} … ${v.trainingUntil} by ${v.author}: ${v.rationale}`,
    `  ${headline}`,
    v.drift
      ? `  drift of ${v.drift.score} against ${v.drift.against}: PSI ${figure(v.drift.psi)} over ${v.drift.customers} customers`
      : '  drift: no version was current when it was fitted',
    `  watermarks: ${
      Object.entries(v.watermarks)
        .map(([s, w]) => `${s} ${w}`)
        .join(', ') || 'none'
    }`,
    v.runId
      ? `  decided by the approval gate of run ${v.runId}`
      : '  waits for the next quarterly run to carry it to its approval gate',
    ...(v.decidedBy ? [`  decided by ${v.decidedBy} at ${v.decidedAt}`] : []),
    `  parameters: ${JSON.stringify(v.kind === 'purchasing' ? v.parameters : { intercept: (v.parameters as { intercept: number }).intercept, weights: m.featureWeights })}`,
  ];
}

export function registerModelCommands(program: Command): void {
  const models = program
    .command('models')
    .description('predictive model versions behind the score measures (through the HTTP API; needs COHORTFLOW_TOKEN)');

  models
    .command('list')
    .description('every model version, newest first per kind: status, promotion rule, drift')
    .option('--kind <kind>', 'purchasing, churn or upgrade')
    .option('--json', 'the versions as JSON')
    .action(async (o: { kind?: 'purchasing' | 'churn' | 'upgrade'; json?: boolean }) => {
      const { models: versions } = await callRoute(listModels, { query: { kind: o.kind } });
      if (o.json) print(versions);
      else
        write(
          table(
            ['MODEL', 'STATUS', 'AS OF', 'PROMOTABLE', 'DRIFT PSI', 'AUTHOR', 'RUN'],
            versions.map((v) => [
              v.modelId,
              v.status,
              v.asOf,
              v.promotable ? 'yes' : `no: ${v.promotionReason}`,
              v.drift ? figure(v.drift.psi) : '-',
              v.author,
              v.runId ?? '-',
            ]),
          ),
        );
    });

  models
    .command('show <id>')
    .description('one version: promotion rule, training window, metrics, drift, parameters, who fitted and decided it')
    .option('--json', 'the version as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const v = await callRoute(showModel, { params: { id } });
      if (o.json) print(v);
      else write(renderModel(v));
    });

  models
    .command('fit <kind>')
    .description(
      "fit a new version of purchasing, churn or upgrade now (operator role): stored as proposed, for the next quarterly run's approval gate",
    )
    .requiredOption('--rationale <text>', 'why, in a sentence')
    .option('--as-of <iso>', 'fit on what was known then (default now)')
    .option('--json', 'the version as JSON')
    .action(
      async (kind: 'purchasing' | 'churn' | 'upgrade', o: { rationale: string; asOf?: string; json?: boolean }) => {
        const v = await callRoute(fitModel, {
          body: { kind, rationale: o.rationale, ...(o.asOf ? { asOf: o.asOf } : {}) },
        });
        if (o.json) print(v);
        else write(renderModel(v));
      },
    );
}
