import type { Command } from 'commander';
import { eraseCustomer, type ErasureReport } from '../api/schemas/runs';
import { callRoute } from './api-client';
import { show } from './output';

// `cohortflow privacy erase <customer>`: through the API with an admin token, like every command.

export function renderErasure(r: ErasureReport): string[] {
  const deleted = Object.entries(r.rowsDeleted)
    .map(([table, n]) => `${table} ${n}`)
    .join(', ');
  return [
    r.alreadyErased
      ? `${r.customerId} was already erased at ${r.erasedAt}; nothing changed`
      : `erased ${r.customerId} at ${r.erasedAt}`,
    `  rows deleted: ${deleted}`,
    `  removed from ${r.snapshots} stored snapshot(s); sizes and content hashes recomputed`,
    ...(r.removals.length === 0
      ? ['  no published cohort held the customer']
      : r.removals.map(
          (x) => `  remove for ${x.cohortId}: ${x.delivered ? 'delivered' : 'to be delivered to its destinations'}`,
        )),
  ];
}

export function registerPrivacyCommands(program: Command): void {
  program
    .command('privacy')
    .description('privacy requests (admin role)')
    .command('erase <customerId>')
    .description("delete the customer's personal data and remove them from every stored snapshot; audited")
    .requiredOption('--reason <text>', 'why, e.g. the request reference (audited)')
    .option('--json', 'the report as JSON')
    .action(async (customerId: string, o: { reason: string; json?: boolean }) => {
      const report = await callRoute(eraseCustomer, { body: { customerId, reason: o.reason } });
      show(report, o.json, renderErasure);
    });
}
