import type { Command } from 'commander';
import { reconcileCohort, runDeliveries, type DeliveryStatus } from '../api/schemas/runs';
import { callRoute } from './api-client';
import { show, table } from './output';

// `cohortflow publish status|reconcile`: where each published version stands at each destination.

export function renderDeliveryStatus(s: DeliveryStatus): string[] {
  const lines = [`deliveries of run ${s.runId}`];
  if (s.deliveries.length === 0) lines.push('  none recorded (the run has not published, or published nothing)');
  lines.push(
    ...table(
      [
        'COHORT',
        'VERSION',
        'DESTINATION',
        'KIND',
        'STATUS',
        'FROM',
        'ADDS',
        'REMOVES',
        'SUPPRESSED',
        'HELD OUT',
        'BATCHES',
        'CURSOR',
      ],
      s.deliveries.map((d) => [
        d.cohortId,
        String(d.version),
        d.destination,
        d.label || 'publish',
        d.status,
        d.fromVersion === null ? 'full' : `v${d.fromVersion}`,
        String(d.adds),
        String(d.removes),
        String(d.suppressed),
        String(d.heldOut),
        `${d.batches.filter((b) => b.status === 'acknowledged').length}/${d.batches.length}`,
        d.cursor ? `v${d.cursor.version}` : '-',
      ]),
    ).map((l) => `  ${l}`),
  );
  for (const d of s.deliveries) {
    for (const b of d.batches.filter((x) => x.status !== 'acknowledged'))
      lines.push(
        `  ${d.cohortId} → ${d.destination} batch ${b.batch}: ${b.status}, ${b.attempts} attempt(s)${b.lastError ? `, last: ${b.lastError}` : ''}`,
      );
  }
  for (const x of s.disabledDestinations)
    lines.push(`  disabled: ${x.destination} since ${x.disabledAt} (${x.reason ?? 'no reason'})`);
  return lines;
}

export function registerPublishCommands(program: Command): void {
  const publish = program
    .command('publish')
    .description('deliveries of published cohorts (through the HTTP API; needs COHORTFLOW_TOKEN)');
  publish
    .command('status <runId>')
    .description(
      "per cohort × destination: the run's batches and their states, cursor, suppressed count, disabled destinations",
    )
    .option('--json', 'everything as JSON')
    .action(async (runId: string, o: { json?: boolean }) => {
      const status = await callRoute(runDeliveries, { params: { id: runId } });
      show(status, o.json, renderDeliveryStatus);
    });
  publish
    .command('reconcile <cohortId>')
    .description(
      're-send each destination the difference between what it acknowledged and the current published version',
    )
    .option('--destination <name>', 'only this destination')
    .action(async (cohortId: string, o: { destination?: string }) => {
      const result = await callRoute(reconcileCohort, {
        params: { id: cohortId },
        body: o.destination ? { destination: o.destination } : {},
      });
      for (const d of result.deliveries)
        process.stdout.write(
          `${d.destination}: ${d.alreadyDelivered ? 'nothing to send' : `+${d.adds} -${d.removes}, ${d.suppressed} held back`}\n`,
        );
    });
}
