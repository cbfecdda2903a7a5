import fs from 'node:fs/promises';
import type { Command } from 'commander';
import type { Answer } from '../api/schemas/contract';
import { promoteShadow, shadowReport, startShadow, stopShadow } from '../api/schemas/shadows';
import { callRoute } from './api-client';
import { show, table, write } from './output';

// `cohortflow cohorts shadow …`: a proposed definition run beside the live one for N refreshes,
// read run by run, then promoted (the ordinary definition change, through the approval gate) or stopped.

type Report = Answer<typeof shadowReport>;
type Shadow = Report['shadow'];

const dash = (x: number | null | undefined) => (x === null || x === undefined ? '-' : String(x));
const signed = (x: number | null, digits: number) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`);

const headline = (s: Shadow) =>
  `${s.shadowId} of ${s.cohortId}: ${s.status}, ${s.runsPlanned - s.runsRemaining} of ${s.runsPlanned} refreshes run (started by ${s.startedBy} at ${s.startedAt}: ${s.rationale})${
    s.promotedVersion ? `; promoted as version ${s.promotedVersion} by ${s.endedBy}` : ''
  }${s.status === 'stopped' ? `; stopped by ${s.endedBy}: ${s.endReason}` : ''}`;

/** Per run: sizes and the comparison with live, verdicts, then the KPI differences (shadow − live). */
export function renderShadowReport(r: Report): string[] {
  const runs = r.runs.filter((x) => x.doneAt !== null);
  const lines = [headline(r.shadow), ''];
  if (runs.length === 0) return [...lines, 'no refresh has computed it yet'];
  lines.push(
    ...table(
      ['RUN', 'AS OF', 'LIVE', 'SHADOW', 'OVERLAP', 'ADDS', 'REMOVES', 'JACCARD', 'LIVE VERDICT', 'SHADOW VERDICT'],
      runs.map((x) => [
        x.runId,
        x.asOf?.slice(0, 10) ?? '-',
        dash(x.liveSize),
        dash(x.shadowSize),
        dash(x.overlap),
        dash(x.adds),
        dash(x.removes),
        dash(x.jaccard),
        x.liveVerdict ?? '-',
        x.error ? `not computed: ${x.error}` : (x.verdict ?? '-'),
      ]),
    ),
    '',
    'KPIs, shadow − live (30 days up to asOf; mean value: monetary, 90 days, USD):',
    ...table(
      ['RUN', 'CONVERSION', 'REVENUE/MEMBER', 'CHURN', 'MEAN VALUE'],
      runs
        .filter((x) => x.kpis)
        .map((x) => [
          x.runId,
          signed(x.kpis!.difference.conversion * 100, 1) + ' pp',
          signed(x.kpis!.difference.revenuePerMember, 2),
          signed(x.kpis!.difference.churn * 100, 1) + ' pp',
          signed(x.kpis!.difference.meanValue, 2),
        ]),
    ),
  );
  const flagged = runs.at(-1)!.checks.filter((c) => c.verdict !== 'pass');
  if (flagged.length)
    lines.push(
      '',
      'last run, checks that did not pass:',
      ...flagged.map((c) => `  ${c.verdict} ${c.name}${c.subject ? ` (${c.subject})` : ''}: ${c.reason}`),
    );
  return lines;
}

export function registerShadowCommands(cohorts: Command): void {
  const shadow = cohorts
    .command('shadow')
    .description('run a proposed definition beside the live one for N refreshes, compare, then promote or stop it');

  shadow
    .command('start <cohort> <file>')
    .description(
      'start a shadow: the proposal is checked like cohorts apply, then computed in the next N refreshes of its tier, never published',
    )
    .requiredOption('--runs <n>', 'how many refreshes it runs in')
    .requiredOption('--rationale <text>', 'why this proposal is worth watching')
    .action(async (cohort: string, file: string, o: { runs: string; rationale: string }) => {
      const yaml = await fs.readFile(file, 'utf8');
      const runs = Number(o.runs);
      if (!Number.isInteger(runs)) throw new Error(`--runs: a whole number of refreshes (got "${o.runs}")`);
      const s = await callRoute(startShadow, { params: { id: cohort }, body: { yaml, runs, rationale: o.rationale } });
      write([headline(s)]);
    });

  shadow
    .command('report <cohort>')
    .description('per refresh: live and shadow size, overlap, adds, removes, verdicts and KPI differences')
    .option('--shadow <id>', 'an older shadow of the cohort (default: its newest)')
    .option('--json', 'the API document: every check and figure')
    .action(async (cohort: string, o: { shadow?: string; json?: boolean }) => {
      const r = await callRoute(shadowReport, { params: { id: cohort }, query: { shadow: o.shadow } });
      show(r, o.json, renderShadowReport);
    });

  shadow
    .command('promote <cohort>')
    .description(
      'make the proposal the new definition version; the next refresh takes it to the approval gate with this report',
    )
    .requiredOption('--rationale <text>', 'why it should become the definition (recorded with the version)')
    .option('--shadow <id>', 'which shadow (default: the newest)')
    .action(async (cohort: string, o: { rationale: string; shadow?: string }) => {
      const p = await callRoute(promoteShadow, {
        params: { id: cohort },
        body: { rationale: o.rationale, shadow: o.shadow },
      });
      write([
        `${p.shadow.shadowId} promoted: ${cohort} version ${p.version}${p.created ? '' : ' (already the latest version)'}; the next refresh of its tier waits for an approver with the shadow's runs`,
      ]);
    });

  shadow
    .command('stop <cohort>')
    .description("stop the cohort's active shadow; its runs stay in the report")
    .requiredOption('--reason <text>', 'why it stops')
    .action(async (cohort: string, o: { reason: string }) => {
      const s = await callRoute(stopShadow, { params: { id: cohort }, body: { reason: o.reason } });
      write([headline(s)]);
    });
}
