import path from 'node:path';
import type { Config } from '../config';
import type { RunningSystem } from '../system';

/**
 * What another terminal must export for the CLI to reach this instance: its exact API address
 * (a CLI without it tries :3000, maybe another instance), a token, and the Temporal server when
 * it is not where the CLI looks by default.
 */
export function cliExports(config: Config, system: RunningSystem): string[] {
  const tokens = path.join(config.dataDir, 'demo-tokens.json');
  const lines = [`export COHORTFLOW_API_URL=${system.apiUrl}`];
  lines.push(
    config.tokens
      ? 'export COHORTFLOW_TOKEN=<an operator token from COHORTFLOW_TOKENS>'
      : `export COHORTFLOW_TOKEN=$(node -e "const t=require(${JSON.stringify(tokens)});console.log(Object.keys(t).find(k=>t[k].user==='alice'))")`,
  );
  // `schedules` and `replay` read Temporal directly; TEMPORAL_PORT (not TEMPORAL_ADDRESS) keeps a
  // second `npm start` in the same shell running its own dev server.
  if (config.temporal.address) lines.push(`export TEMPORAL_ADDRESS=${config.temporal.address}`);
  else if (config.temporal.port !== 7233) lines.push(`export TEMPORAL_PORT=${config.temporal.port}`);
  return lines;
}

export function printBanner(config: Config, system: RunningSystem): void {
  const lines = [
    '',
    'cohortflow is running',
    `  API          ${system.apiUrl}  (reference: ${system.apiUrl}/docs, ${system.apiUrl}/openapi.json)`,
    `  Health       ${system.apiUrl}/health   Metrics: ${system.apiUrl}/metrics (viewer token)${system.workerMetricsUrl ? `, worker ${system.workerMetricsUrl}` : ''}`,
    `  Dashboard    ${system.apiUrl}/  (sign in with a token from ${config.tokens ? 'COHORTFLOW_TOKENS' : `${config.dataDir}/demo-tokens.json`})`,
    `  Temporal UI  ${system.uiUrl ?? '(external server at ' + system.temporalAddress + ')'}`,
    `  Postgres     ${
      system.postgresUrl
        ? `${system.postgresUrl} (embedded, in ${config.dataDir}/postgres; password in ${config.dataDir}/postgres-password)`
        : 'DATABASE_URL'
    }`,
    '',
    'In another terminal, for the CLI to reach this instance:',
    ...cliExports(config, system).map((l) => `  ${l}`),
    '',
    'Then:',
    '  npx cohortflow refresh start --rationale "first look"       # prints the workflow id',
    '  npx cohortflow refresh watch <workflowId>                   # live progress until it waits for approval',
    '  npx cohortflow refresh status <workflowId>',
    '  # approve as bob (an approver; alice asked, so she may not):',
    `  COHORTFLOW_TOKEN=<bob's token> npx cohortflow refresh approve <workflowId> --comment "looks right"`,
    '  npx cohortflow schedules list',
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
