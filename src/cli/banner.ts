import type { Config } from '../config';
import type { RunningSystem } from '../system';

export function printBanner(config: Config, system: RunningSystem): void {
  const lines = [
    '',
    'cohortflow is running',
    `  API          ${system.apiUrl}  (reference: ${system.apiUrl}/docs, ${system.apiUrl}/openapi.json)`,
    `  Temporal UI  ${system.uiUrl ?? '(external server at ' + system.temporalAddress + ')'}`,
    `  Postgres     ${
      system.postgresUrl
        ? `${system.postgresUrl} (embedded, in ${config.dataDir}/postgres; password in ${config.dataDir}/postgres-password)`
        : 'DATABASE_URL'
    }`,
    '',
    'Try next (in another terminal):',
    ...(config.tokens
      ? ['  export COHORTFLOW_TOKEN=<an operator token from COHORTFLOW_TOKENS>']
      : [
          `  export COHORTFLOW_TOKEN=$(node -e "const t=require('./.data/demo-tokens.json');console.log(Object.keys(t).find(k=>t[k].user==='alice'))")`,
        ]),
    '  npx cohortflow refresh start --rationale "first look"       # prints the workflow id',
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
