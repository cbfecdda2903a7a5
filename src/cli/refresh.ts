import { Option, type Command } from 'commander';
import {
  approveRefresh,
  Cadence,
  refreshStatus,
  rejectRefresh,
  requestChanges,
  startRefresh,
  TierScope,
} from '../api/schemas/refreshes';
import { runReport, type RunReport } from '../api/schemas/runs';
import type { RefreshStatus } from '../shared';
import { callRoute, Unreachable } from './api-client';
import { print, show, write } from './output';
import { progressLine, renderRefreshStatus } from './refresh-view';

// `cohortflow refresh …`: start, read, follow and decide refresh runs through the HTTP API.

/** The run and, once it has baseline reports, the stored report behind them (sizes before, adds, removes). */
async function statusWithReport(id: string): Promise<{ status: RefreshStatus; report?: RunReport }> {
  const status = await callRoute(refreshStatus, { params: { id } });
  const report = status.reports.length
    ? await callRoute(runReport, { params: { id } }).catch(() => undefined)
    : undefined;
  return { status, report };
}

/** Stages where a run waits for people or for time rather than working: `watch` stops there. */
const SETTLED: ReadonlySet<RefreshStatus['stage']> = new Set(['awaiting-approval', 'watching', 'done']);

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Follows a run until it waits for a person, enters its watch window or ends: on a terminal one
 * line redrawn in place (stage, counts, bar, time left), elsewhere a line whenever it changes.
 */
async function watchRun(id: string, intervalMs: number): Promise<void> {
  const tty = process.stdout.isTTY === true;
  let shown = '';
  let stage: string | undefined;
  for (;;) {
    let status: RefreshStatus;
    try {
      status = await callRoute(refreshStatus, { params: { id } });
    } catch (err) {
      if (!(err instanceof Unreachable)) throw err;
      // The API restarting is no reason to stop following.
      process.stderr.write(`${tty ? '\n' : ''}${err.message}; trying again\n`);
      await pause(intervalMs * 2);
      continue;
    }
    if (status.stage !== stage) {
      if (tty && shown) process.stdout.write('\n');
      write([`${new Date().toISOString()}  ${id}: ${status.stage}`]);
      stage = status.stage;
      shown = '';
    }
    if (SETTLED.has(status.stage)) break;
    const line = status.progress
      ? `  ${progressLine(status.progress, new Date())}${status.progress.note ? `  (${status.progress.note})` : ''}`
      : '';
    if (line && line !== shown) {
      process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      shown = line;
    }
    await pause(intervalMs);
  }
  if (tty && shown) process.stdout.write('\n');
  const { status, report } = await statusWithReport(id);
  write(['', ...renderRefreshStatus(status, report)]);
  if (status.outcome === 'failed') process.exitCode = 1;
}

export function registerRefreshCommands(program: Command): void {
  const refresh = program
    .command('refresh')
    .description('start, inspect and decide refresh runs (through the HTTP API; needs COHORTFLOW_TOKEN)');
  refresh
    .command('start')
    .addOption(new Option('--cadence <cadence>', 'how the run is filed').choices(Cadence.options).default('adhoc'))
    .addOption(new Option('--tier <tier>', 'which cohorts it refreshes').choices(TierScope.options).default('all'))
    .requiredOption('--rationale <text>', 'why this refresh is needed (recorded in the audit log)')
    .option('--as-of <iso>', 'compute cohorts as of this moment')
    .option('--queue', 'when a refresh of the tier is active, wait for it instead of being refused')
    .action(async (o: { cadence: Cadence; tier: TierScope; rationale: string; asOf?: string; queue?: boolean }) => {
      print(
        await callRoute(startRefresh, {
          body: { cadence: o.cadence, tier: o.tier, rationale: o.rationale, asOf: o.asOf, queue: o.queue },
        }),
      );
    });
  refresh
    .command('status <workflowId>')
    .description('the stage and its progress, the approval waited for, and each cohort with size, change and verdict')
    .option('--json', 'the whole status document')
    .action(async (id: string, o: { json?: boolean }) => {
      if (o.json) return print(await callRoute(refreshStatus, { params: { id } }));
      const { status, report } = await statusWithReport(id);
      show(status, false, (s) => renderRefreshStatus(s, report));
    });
  refresh
    .command('watch <workflowId>')
    .description('follow a run live with a progress bar until it waits for approval, enters its watch window or ends')
    .option('--interval <seconds>', 'how often to ask', '2')
    .action(async (id: string, o: { interval: string }) => {
      const seconds = Number(o.interval);
      if (!(seconds > 0))
        throw new Error(`--interval: a number of seconds above 0 (got ${JSON.stringify(o.interval)})`);
      await watchRun(id, seconds * 1000);
    });

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  const decisions = [
    ['approve', approveRefresh, 'approve cohorts of the run (default: every cohort still waiting)'],
    ['reject', rejectRefresh, 'hold back the named cohorts, or reject the whole run when none are named'],
    ['request-changes', requestChanges, 'send the run back: nothing is published; --comment says what to change'],
  ] as const;
  for (const [decision, contract, description] of decisions) {
    refresh
      .command(`${decision} <workflowId>`)
      .description(description)
      .option('--cohort <id>', 'a cohort this decision covers (repeat for several)', collect)
      .option('--comment <text>', 'recorded with the decision')
      .action(async (id: string, o: { comment?: string; cohort?: string[] }) =>
        print(await callRoute(contract, { params: { id }, body: { comment: o.comment, cohorts: o.cohort } })),
      );
  }
}
