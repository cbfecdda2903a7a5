import { Command } from 'commander';
import { loadConfig } from '../config';
import { connect } from '../data/db';
import { migrate } from '../data/migrate';
import { generateSources } from '../sources/generate';
import { createLogger } from '../log';
import { replayRun } from '../temporal/replay';
import { installTemporalRuntime } from '../worker/runtime';
import { print } from './output';
import { registerCohortCommands } from './cohorts';
import { registerExperimentCommands } from './experiments';
import { registerPrivacyCommands } from './privacy';
import { registerGovernanceCommands } from './governance';
import { registerModelCommands } from './models';
import { runServer, runWorker } from './processes';
import { runStart } from './start';
import { registerRollbackCommands } from './rollback';
import { registerProofCommands } from './proofs';
import { registerPublishCommands } from './publish';
import { registerRefreshCommands } from './refresh';
import { registerRunCommands } from './runs';
import { registerScheduleCommands } from './schedules';
import { withTemporal } from './temporal';

const log = createLogger();

/** Keeps the process up until SIGINT/SIGTERM, then stops everything in order. */
async function untilSignal(stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await stop();
  log.info('stopped');
}

const program = new Command('cohortflow').description(
  'Keeps customer cohorts fresh: ingest, compute, test, approve, publish.',
);

program
  .command('start')
  .description(
    'run the whole system embedded: Temporal dev server, PostgreSQL (unless DATABASE_URL), worker, API, schedules',
  )
  .action(() => runStart(log));

program
  .command('worker')
  .description('run a worker against TEMPORAL_ADDRESS and DATABASE_URL')
  .action(async () => {
    await untilSignal(await runWorker(loadConfig(), log));
  });

program
  .command('api')
  .description('serve the HTTP API against TEMPORAL_ADDRESS')
  .action(async () => {
    await untilSignal(await runServer(loadConfig(), log));
  });

program
  .command('migrate')
  .description('apply database migrations to DATABASE_URL')
  .action(async () => {
    const config = loadConfig();
    if (!config.databaseUrl) throw new Error('set DATABASE_URL (npm start migrates its embedded database itself)');
    const db = connect(config.databaseUrl);
    try {
      print({ applied: await migrate(db) });
    } finally {
      await db.close();
    }
  });

registerRefreshCommands(program);
registerModelCommands(program);
registerCohortCommands(program);
registerGovernanceCommands(program);
registerRunCommands(program);
registerScheduleCommands(program);
registerPrivacyCommands(program);
registerExperimentCommands(program);
registerRollbackCommands(program);
registerPublishCommands(program);
registerProofCommands(program);

program
  .command('generate')
  .description('write a realistic, reproducible sample data set of all four source kinds (docs/sources.md)')
  .requiredOption('--out <dir>', 'the source folder to write')
  .option('--customers <n>', 'how many customers', '1000')
  .option('--days <n>', 'days of history before now', '90')
  .option('--seed <n>', 'random seed: the same seed and --now give byte-identical files', '42')
  .option('--now <iso>', 'the end of the window (default: now)')
  .option('--format <format>', 'ndjson | csv', 'ndjson')
  .option('--gzip', 'compress the files')
  .option('--bad-row-rate <share>', 'share of deliberately bad rows', '0.001')
  .option(
    '--stories <n>',
    'customers per rare story near the end (a payment failed in the last days, a recent win-back, a run of tickets)',
    '0',
  )
  .action(
    async (o: {
      out: string;
      customers: string;
      days: string;
      seed: string;
      now?: string;
      format: 'ndjson' | 'csv';
      gzip?: boolean;
      badRowRate: string;
      stories: string;
    }) => {
      const summary = await generateSources(o.out, {
        customers: Number(o.customers),
        days: Number(o.days),
        seed: Number(o.seed),
        now: o.now ? new Date(o.now) : undefined,
        format: o.format,
        gzip: o.gzip ?? false,
        badRowRate: Number(o.badRowRate),
        stories: Number(o.stories),
      });
      print({
        out: o.out,
        ...Object.fromEntries(
          Object.entries(summary).map(([kind, k]) => [
            kind,
            { files: k.files, rows: k.rows, bad: k.bad, duplicates: k.duplicates },
          ]),
        ),
      });
    },
  );

program
  .command('replay <workflowId>')
  .description("replay a run's history from the server against the current workflow code; reports non-determinism")
  .option('--verbose', "also show the SDK's and the bundler's own output")
  .action(async (id: string, o: { verbose?: boolean }) => {
    // Bundling the workflows logs a page of webpack output at info: only a --verbose reader wants it.
    // A command that ends when its work is done: the core's logs are not forwarded (that would keep it alive).
    installTemporalRuntime(o.verbose ? log : createLogger('warn'), o.verbose ? 'INFO' : 'WARN', {
      forwardCoreLogs: false,
    });
    const verdict = await withTemporal(loadConfig(), (client) => replayRun(client, id));
    if (verdict.ok) {
      process.stdout.write(`replay of ${id}: ok, the current code reproduces its history\n`);
    } else {
      process.stdout.write(`replay of ${id}: FAILED\n${verdict.error}\n`);
      process.exitCode = 1;
    }
  });

program.parseAsync(process.argv).catch((err: Error) => {
  log.debug({ err }, 'fatal');
  // A person reads this: the message alone, which says what is wrong and where.
  process.stderr.write(`cohortflow: ${err.message}\n`);
  process.exit(1);
});
