import type { Command } from 'commander';
import {
  approveRollback,
  rejectRollback,
  rollbackRefresh,
  rollbackStatus,
  startCohortRollback,
} from '../api/schemas/rollbacks';
import { callRoute } from './api-client';
import { print } from './output';

// Rollback commands (through the HTTP API): during a run's watch window, and after it.

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerRollbackCommands(program: Command): void {
  const find = (name: string) => program.commands.find((c) => c.name() === name) ?? program.command(name);

  find('refresh')
    .command('rollback <workflowId>')
    .description(
      "during the run's watch window: restore what it replaced (default: every cohort it published) and deliver the compensating diffs",
    )
    .requiredOption('--reason <text>', 'why; recorded with the rollback')
    .option('--cohort <id>', 'a cohort to roll back (repeat for several)', collect)
    .action(async (id: string, o: { reason: string; cohort?: string[] }) =>
      print(await callRoute(rollbackRefresh, { params: { id }, body: { reason: o.reason, cohorts: o.cohort } })),
    );

  find('cohorts')
    .command('rollback <id>')
    .description(
      'after the watch window: start a rollback run that restores a published version once another approver agrees',
    )
    .requiredOption('--to <version>', 'the published version to restore', (v) => Number.parseInt(v, 10))
    .requiredOption('--reason <text>', 'why; recorded with the rollback')
    .action(async (id: string, o: { to: number; reason: string }) =>
      print(await callRoute(startCohortRollback, { params: { id }, body: { toVersion: o.to, reason: o.reason } })),
    );

  const rollbacks = program
    .command('rollbacks')
    .description('inspect and decide rollback runs (through the HTTP API; needs COHORTFLOW_TOKEN)');
  rollbacks
    .command('status <workflowId>')
    .action(async (id: string) => print(await callRoute(rollbackStatus, { params: { id } })));
  for (const [decision, contract] of [
    ['approve', approveRollback],
    ['reject', rejectRollback],
  ] as const) {
    rollbacks
      .command(`${decision} <workflowId>`)
      .description(`${decision} a rollback run (four eyes: not the person who asked for it)`)
      .option('--comment <text>', 'recorded with the decision')
      .action(async (id: string, o: { comment?: string }) =>
        print(await callRoute(contract, { params: { id }, body: { comment: o.comment } })),
      );
  }
}
