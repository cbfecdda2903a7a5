import fs from 'node:fs/promises';
import type { Command } from 'commander';
import type { Answer } from '../api/schemas/contract';
import {
  createExperiment,
  experimentReport,
  listExperiments,
  planExperiment,
  stopExperiment,
  type ExperimentReportBody,
} from '../api/schemas/experiments';
import { samplePlan } from '../experiments/sample-plan';
import { callRoute } from './api-client';
import { show, table } from './output';

// `cohortflow experiments …`: through the HTTP API with COHORTFLOW_TOKEN like every command
// (creating and stopping need the operator role, reading needs viewer).

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const pct = (x: number | null | undefined, digits = 2) =>
  x === null || x === undefined ? '-' : `${(x * 100).toFixed(digits)}%`;
const num = (x: number | null | undefined, digits = 4) => (x === null || x === undefined ? '-' : x.toFixed(digits));
const pValue = (p: number | null) => (p === null ? '-' : p < 0.0001 ? p.toExponential(2) : p.toFixed(4));

/** The report as a person reads it: arms, comparisons, the split check, reallocations, cautions. */
export function renderReport(r: ExperimentReportBody): string[] {
  const e = r.experiment;
  const rate = e.kpi.kind !== 'revenue';
  const value = (v: number | null) => (rate ? pct(v) : num(v, 2));
  const lift = (x: number) => (rate ? `${(x * 100).toFixed(2)} pp` : x.toFixed(2));
  const lines = [
    `${e.id} on cohort ${e.cohort} (${e.status}) — ${e.hypothesis}`,
    `KPI: ${JSON.stringify(e.kpi)}; control ${r.control}; alpha ${r.alpha}; as of ${r.asOf}`,
    '',
    ...table(
      ['ARM', 'ASSIGNED', 'MEASURED', rate ? 'RATE' : 'MEAN'],
      r.arms.map((a) => [
        `${a.arm}${a.holdout ? ' (holdout)' : ''}`,
        String(a.assigned),
        String(a.measured),
        value(a.value),
      ]),
    ),
    '',
  ];
  if (r.comparisons.length)
    lines.push(
      ...table(
        ['ARM', 'VS', 'ABSOLUTE LIFT [95% CI]', 'RELATIVE LIFT [95% CI]', 'P', 'ADJUSTED P', 'SIGNIFICANT'],
        r.comparisons.map((c) => {
          const f = c.figures;
          const abs = f.absoluteLiftInterval
            ? `${lift(f.absoluteLift)} [${lift(f.absoluteLiftInterval.lower)}, ${lift(f.absoluteLiftInterval.upper)}]`
            : lift(f.absoluteLift);
          const rel = f.relativeLiftInterval
            ? `${pct(f.relativeLift, 1)} [${pct(f.relativeLiftInterval.lower, 1)}, ${pct(f.relativeLiftInterval.upper, 1)}]`
            : pct(f.relativeLift, 1);
          return [c.arm, c.against, abs, rel, pValue(f.pValue), pValue(c.adjustedPValue), c.significant ? 'yes' : 'no'];
        }),
      ),
      '',
    );
  const srm = r.sampleRatio;
  lines.push(
    `sample ratio: χ² = ${srm.statistic.toFixed(3)}, df ${srm.degreesOfFreedom}, p = ${pValue(srm.pValue)} — ${srm.mismatch ? 'BROKEN SPLIT' : 'healthy'}`,
  );
  for (const x of r.reallocations)
    lines.push(
      `reallocation at ${x.runId} (${x.decidedAt}): ${x.decision}, v${x.fromVersion} → v${x.toVersion}, seed ${x.seed}; ` +
        x.evidence.arms
          .map(
            (a) =>
              `${a.arm} ${a.successes}/${a.successes + a.failures} P(best) ${a.probabilityBest.toFixed(3)} share ${a.previousShare.toFixed(3)} → ${a.share.toFixed(3)}`,
          )
          .join('; '),
    );
  if (r.cautions.length) lines.push('', 'cautions:', ...r.cautions.map((c) => `  ${c}`));
  return lines;
}

const renderList = (l: Answer<typeof listExperiments>) =>
  table(
    ['ID', 'COHORT', 'STATUS', 'ARMS', 'KPI', 'CREATED'],
    l.experiments.map((e) => [
      e.id,
      e.cohort,
      e.status,
      e.arms.map((a) => `${a.id}${a.holdout ? '*' : ''} ${a.share}`).join(', '),
      String(e.kpi.kind),
      `${e.createdAt} by ${e.createdBy}`,
    ]),
  );

export function registerExperimentCommands(program: Command): void {
  const experiments = program
    .command('experiments')
    .description('experiments and holdouts on cohorts (through the HTTP API; needs COHORTFLOW_TOKEN)');

  experiments
    .command('create <file>')
    .description(
      'start the experiment the YAML file defines (operator role); its cohort is split from the next publish',
    )
    .requiredOption('--rationale <text>', 'why the experiment is run (audited)')
    .option('--json', 'the experiment as JSON')
    .action(async (file: string, o: { rationale: string; json?: boolean }) => {
      const created = await callRoute(createExperiment, {
        body: { yaml: await fs.readFile(file, 'utf8'), rationale: o.rationale },
      });
      show(created, o.json, (e) => [
        `created experiment ${e.id} on cohort ${e.cohort}; arms: ${e.arms.map((a) => `${a.id} ${a.share}`).join(', ')}`,
      ]);
    });

  experiments
    .command('list')
    .description('every experiment (* marks the holdout arm)')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => show(await callRoute(listExperiments, {}), o.json, renderList));

  experiments
    .command('report <id>')
    .description('per arm its size and KPI, lift with 95% interval and p-value against the control, the split check')
    .option('--as-of <time>', 'measure as of this ISO time (default now)')
    .option('--json', 'as JSON')
    .action(async (id: string, o: { asOf?: string; json?: boolean }) =>
      show(await callRoute(experimentReport, { params: { id }, query: { asOf: o.asOf } }), o.json, renderReport),
    );

  experiments
    .command('stop <id>')
    .description('stop a running experiment (operator role): its holdout is delivered from the next publish on')
    .requiredOption('--reason <text>', 'why (audited)')
    .action(async (id: string, o: { reason: string }) => {
      const stopped = await callRoute(stopExperiment, { params: { id }, body: { reason: o.reason } });
      show(stopped, false, (e) => [`stopped experiment ${e.id} at ${e.stoppedAt}`]);
    });

  experiments
    .command('plan')
    .description('members needed to detect a change in a conversion rate (offline)')
    .requiredOption('--baseline-rate <rate>', "the control's conversion rate, e.g. 0.05")
    .requiredOption('--mde <change>', 'the smallest absolute change worth detecting, e.g. 0.01')
    .option('--power <power>', 'the chance of detecting it', '0.8')
    .option('--alpha <alpha>', 'significance level (two-sided)', '0.05')
    .option(
      '--control-per-treatment <ratio>',
      'control members per treatment member, e.g. 0.1111 for a 10% holdout',
      '1',
    )
    .option('--json', 'as JSON')
    .action(
      async (o: {
        baselineRate: string;
        mde: string;
        power: string;
        alpha: string;
        controlPerTreatment: string;
        json?: boolean;
      }) => {
        // Offline: the same schema and formula as GET /experiments/plan, no token needed.
        const parsed = planExperiment.schema.querystring.safeParse({
          baselineRate: o.baselineRate,
          mde: o.mde,
          power: o.power,
          alpha: o.alpha,
          controlPerTreatment: o.controlPerTreatment,
        });
        if (!parsed.success)
          throw new Error(
            `invalid plan:\n${parsed.error.issues.map((i) => `  --${kebab(String(i.path[0]))}: ${i.message}`).join('\n')}`,
          );
        show(samplePlan(parsed.data), o.json, (p) => [
          `to detect ${p.baselineRate} → ${Number((p.baselineRate + p.mde).toFixed(10))} (two-sided, alpha ${p.alpha}, power ${p.power}):`,
          `  treatment ${p.treatment.toLocaleString('en-US')} members, control ${p.control.toLocaleString('en-US')} (total ${p.total.toLocaleString('en-US')})`,
          `  power reached with these sizes: ${p.achievedPower.toFixed(4)}`,
        ]);
      },
    );
}
