import fs from 'node:fs/promises';
import type { Command } from 'commander';
import YAML from 'yaml';
import {
  applyCohort,
  cohortVersion,
  cohortVersions,
  deleteCohort,
  deprecateCohort,
  listCohorts,
  showCohort,
} from '../api/schemas/cohorts';
import type { Answer } from '../api/schemas/contract';
import { explainCohort, previewCohort, whyMember } from '../api/schemas/inspect';
import { renderWhy } from '../cohorts/why';
import { callRoute } from './api-client';
import { print, table, write } from './output';
import { registerShadowCommands } from './shadows';
import { registerValidateCommand } from './validate';

// `cohortflow cohorts …`: every command goes through the HTTP API with COHORTFLOW_TOKEN, so the
// CLI obeys the same roles, validation and guardrails as any other caller.

function idOfFile(file: string, text: string): string {
  const id = (YAML.parseDocument(text).toJS() as { id?: unknown } | null)?.id;
  if (typeof id !== 'string') throw new Error(`${file}: no id; a definition names its cohort with id: <cohort-id>`);
  return id;
}

export function registerCohortCommands(program: Command): void {
  const cohorts = program
    .command('cohorts')
    .description('manage and inspect cohort definitions (through the HTTP API; needs COHORTFLOW_TOKEN)');

  cohorts
    .command('list')
    .description("the catalog folder's cohorts and their latest recorded versions")
    .action(async () => {
      const listing = await callRoute(listCohorts, {});
      const version = (c: Answer<typeof listCohorts>['cohorts'][number]) =>
        c.latestVersion ? `${c.latestVersion.version}${c.recorded ? '' : ' (file changed)'}` : '-';
      write(
        table(
          ['ID', 'TIER', 'STATUS', 'VERSION', 'OWNER', 'NAME'],
          listing.cohorts.map((c) => [c.id, c.tier, c.status, version(c), c.owner, c.name]),
        ),
      );
      if (listing.problems.length)
        write(['', `the catalog has ${listing.problems.length} problem(s):`, ...listing.problems.map((p) => `  ${p}`)]);
    });

  cohorts
    .command('show <id>')
    .description('the definition in the folder, or an old recorded version')
    .option('--version <n>', 'a recorded version')
    .action(async (id: string, o: { version?: string }) => {
      print(
        o.version
          ? await callRoute(cohortVersion, { params: { id, n: o.version } })
          : await callRoute(showCohort, { params: { id } }),
      );
    });

  cohorts
    .command('versions <id>')
    .description('every recorded version of a cohort')
    .action(async (id: string) => {
      const { versions } = await callRoute(cohortVersions, { params: { id } });
      write(
        table(
          ['VERSION', 'CHANGE', 'AUTHOR', 'TIME', 'HASH', 'RATIONALE'],
          versions.map((v) => [
            String(v.version),
            v.change,
            v.author,
            v.createdAt,
            v.contentHash.slice(0, 12),
            v.rationale,
          ]),
        ),
      );
    });

  registerValidateCommand(cohorts);
  registerShadowCommands(cohorts);

  cohorts
    .command('apply <file>')
    .description('validate the definition with the whole catalog, write it to the folder and record a version')
    .requiredOption('--rationale <text>', 'why the change is needed (recorded with the version)')
    .action(async (file: string, o: { rationale: string }) => {
      const yaml = await fs.readFile(file, 'utf8');
      print(
        await callRoute(applyCohort, { params: { id: idOfFile(file, yaml) }, body: { yaml, rationale: o.rationale } }),
      );
    });

  cohorts
    .command('deprecate <id>')
    .description('mark a cohort deprecated (a strategic one needs a reason)')
    .option('--reason <text>', 'why it is deprecated (recorded in the file and the version)')
    .action(async (id: string, o: { reason?: string }) =>
      print(await callRoute(deprecateCohort, { params: { id }, body: { reason: o.reason } })),
    );

  cohorts
    .command('delete <id>')
    .description('record the deletion, then remove the file (a strategic cohort needs a reason)')
    .option('--reason <text>', 'why it is deleted (recorded with the tombstone version)')
    .action(async (id: string, o: { reason?: string }) =>
      print(await callRoute(deleteCohort, { params: { id }, body: { reason: o.reason } })),
    );

  cohorts
    .command('explain <id>')
    .description("the cohort's compiled SQL, its parameters and Postgres's plan (not executed)")
    .option('--as-of <iso>', 'compile as of this moment (default: now)')
    .action(async (id: string, o: { asOf?: string }) => {
      const a = await callRoute(explainCohort, { params: { id }, query: { asOf: o.asOf } });
      write([
        `${a.cohortId} as of ${a.asOf} (measures read from ${a.readsFrom === 'state' ? 'the derived customer state' : 'the raw rows'})`,
        ...(a.snapshot
          ? [
              `as snapshot ${a.snapshot.snapshotId}${a.snapshot.published ? ' (published)' : ''} was computed by run ${a.snapshot.runId}, definition version ${a.snapshot.definitionVersion}`,
            ]
          : []),
        '',
        'SQL:',
        a.sql,
        '',
        'parameters:',
        ...a.params.map((p, i) => `  $${i + 1} = ${JSON.stringify(p)}`),
        '',
        'plan:',
        a.plan,
        ...(a.scores.length
          ? [
              '',
              'scores:',
              ...a.scores.map((x) => `  ${x.measure} (model ${x.modelId ?? 'none current'}): ${x.formula}`),
              ...(a.scoring ? [`  ${a.scoring.text}`] : []),
            ]
          : []),
      ]);
    });

  cohorts
    .command('preview <id>')
    .description('size and a sample of members, computed now; publishes and writes nothing')
    .option('--as-of <iso>', 'compute as of this moment (default: now)')
    .option('--sample <n>', 'how many member ids to show', '20')
    .action(async (id: string, o: { asOf?: string; sample: string }) => {
      const a = await callRoute(previewCohort, { params: { id }, query: { asOf: o.asOf, sample: o.sample } });
      write([
        `${a.cohortId} as of ${a.asOf}: ${a.size} member(s)`,
        ...(a.sample.length ? [`first ${a.sample.length} by customer id:`, ...a.sample.map((c) => `  ${c}`)] : []),
      ]);
    });

  cohorts
    .command('why <cohort> <customer>')
    .description('whether a customer is a member, with the figures that decided each condition')
    .option('--as-of <iso>', "as of this moment (default: the published snapshot's asOf, else now)")
    .action(async (cohort: string, customer: string, o: { asOf?: string }) => {
      const a = await callRoute(whyMember, { params: { id: cohort, customerId: customer }, query: { asOf: o.asOf } });
      const p = a.published;
      write([
        `${a.customerId} is ${a.member ? '' : 'not '}a member of ${a.cohortId} as of ${a.asOf}`,
        a.snapshot
          ? `explaining snapshot ${a.snapshot.snapshotId}${a.snapshot.published ? ' (published)' : ''}, computed by run ${a.snapshot.runId} from definition version ${a.snapshot.definitionVersion}: ${a.snapshot.member ? 'member' : 'not a member'}`
          : 'no snapshot of this cohort was computed at this asOf: evaluated now with the current definition',
        ...(a.existedAtAsOf ? [] : ['  (the customer was not known yet at that time)']),
        ...(a.rule ? renderWhy(a.rule) : []),
        ...(a.scoring ? [a.scoring.text] : []),
        ...a.scores.map(
          (x) =>
            `score ${x.measure} = ${x.value ?? 'none'} (quantile ${x.quantile ?? 'none'}) by model ${x.modelId}${
              x.missing ? ` (${x.missing})` : ''
            }, from ${
              x.inputs
                ? Object.entries(x.inputs)
                    .map(([k, v]) => `${k} ${v}`)
                    .join(', ')
                : 'nothing: the model read nothing of this customer'
            }`,
        ),
        ...(a.warning ? [`warning: ${a.warning}`] : []),
        p
          ? `published: snapshot ${p.snapshotId} (run ${p.runId}, as of ${p.asOf}, published ${p.publishedAt}): ${p.member ? 'member' : 'not a member'}`
          : a.withdrawn
            ? `published: none current — the cohort was withdrawn at ${a.withdrawn.at} by ${a.withdrawn.runId} (version ${a.withdrawn.version})${a.withdrawn.reason ? `: ${a.withdrawn.reason}` : ''}`
            : 'published: no snapshot of this cohort is published yet',
      ]);
    });
}
