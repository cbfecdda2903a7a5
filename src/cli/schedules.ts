import type { Command } from 'commander';
import { declareFreeze, listSchedules, pauseSchedule, resumeSchedule } from '../api/schemas/schedules';
import { callRoute } from './api-client';
import { print, show, table } from './output';

// The refresh schedules (through the HTTP API; needs COHORTFLOW_TOKEN): list needs the operator
// role, pause, resume and freeze the admin role. Every change carries --reason and is audited.

export function registerScheduleCommands(program: Command): void {
  const schedules = program
    .command('schedules')
    .description('the calendar-aware refresh schedules and freeze windows (through the HTTP API)');

  schedules
    .command('list')
    .description('each schedule with its cadence, state and next slots, then the freezes of the next 120 days')
    .option('--json', 'one JSON document')
    .action(async (o: { json?: boolean }) =>
      show(await callRoute(listSchedules, {}), o.json, ({ schedules: list, freezes }) => [
        ...table(
          ['SCHEDULE', 'TIER', 'STATE', 'LAST SLOT', 'NEXT RUNS', 'WHEN'],
          list.map((s) => [
            s.id,
            s.tier,
            s.paused ? `paused (${s.note ?? 'no note'})` : 'active',
            s.lastSlot ?? '-',
            s.nextRuns.join(', ') || '-',
            s.when,
          ]),
        ),
        '',
        ...(freezes.length === 0
          ? ['no freeze windows in the next 120 days']
          : table(
              ['FREEZE', 'AT PUBLISH', 'FROM', 'UNTIL', 'SOURCE', 'REASON'],
              freezes.map((f) => [f.name, f.onPublish, f.from, f.until, f.source, f.reason]),
            )),
      ]),
    );

  for (const [action, contract] of [
    ['pause', pauseSchedule],
    ['resume', resumeSchedule],
  ] as const)
    schedules
      .command(`${action} <scheduleId>`)
      .description(`${action} a schedule (admin); the reason goes into its note and the audit log`)
      .requiredOption('--reason <text>', 'why')
      .action(async (id: string, o: { reason: string }) =>
        print(await callRoute(contract, { params: { id }, body: { reason: o.reason } })),
      );

  schedules
    .command('freeze <name>')
    .description('declare a freeze window (admin): no run publishes from --from until --until')
    .requiredOption('--from <time>', 'ISO time with offset, on a whole minute, e.g. 2026-12-28T00:00:00+01:00')
    .requiredOption('--until <time>', 'ISO time with offset, on a whole minute')
    .requiredOption('--reason <text>', 'why nothing may publish then')
    .option('--skip', 'a run reaching publish inside the window ends without publishing (default: it waits)')
    .action(async (name: string, o: { from: string; until: string; reason: string; skip?: boolean }) =>
      print(
        await callRoute(declareFreeze, {
          body: { name, from: o.from, until: o.until, reason: o.reason, onPublish: o.skip ? 'skip' : 'wait' },
        }),
      ),
    );
}
