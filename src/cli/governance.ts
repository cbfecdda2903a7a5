import type { Command } from 'commander';
import type { Answer } from '../api/schemas/contract';
import {
  cohortHistory,
  cohortNotes,
  listAudit,
  runNotes,
  verifyAudit,
  writeAuditCheckpoint,
  type Note,
  type PublishedVersionEntry,
} from '../api/schemas/governance';
import { generateAuditKey } from '../governance/audit-keys';
import { callRoute } from './api-client';
import { renderAuditReport } from './audit-report';
import { print, table, write } from './output';

// `cohortflow audit …`, `notes …` and `cohorts history`: the governance trail, through the HTTP
// API with COHORTFLOW_TOKEN like every other command.

/** The notes routes of exactly one of --run and --cohort, with the id they are about. */
function notesOf(o: { run?: string; cohort?: string }) {
  if ((o.run === undefined) === (o.cohort === undefined))
    throw new Error('name what the note is about: --run <id> or --cohort <id> (one of them)');
  return o.run !== undefined ? { routes: runNotes, id: o.run } : { routes: cohortNotes, id: o.cohort! };
}

const noteLines = (notes: Note[], indent = '') => notes.map((n) => `${indent}${n.at} ${n.author}: ${n.text}`);
const shown = (value: unknown) => (value === undefined ? '(absent)' : JSON.stringify(value));

/** One readable block per published version. */
export function renderVersion(cohortId: string, v: PublishedVersionEntry): string[] {
  const d = v.definition;
  return [
    `${cohortId} version ${v.version}, published ${v.publishedAt} by run ${v.runId}`,
    `  requested by ${v.requestedBy ?? '(unknown)'}: ${v.rationale ?? '(no rationale recorded)'}`,
    ...(v.rollback
      ? [
          `  rollback to ${v.rollback.restoresVersion === null ? 'no version (withdrawn)' : `version ${v.rollback.restoresVersion}`}: ${v.rollback.reason ?? '(no reason recorded)'}`,
        ]
      : []),
    `  snapshot ${v.snapshotId ?? '(none: withdrawn)'}: ${v.size} members (previously ${v.previousSize ?? 'none published'}), +${v.adds} added, -${v.removes} removed`,
    d.changed
      ? `  definition v${d.version} (was v${d.previousVersion}), ${d.change} by ${d.author}: ${d.rationale}`
      : `  definition v${d.version}${d.previousVersion === null ? ` (first publish), ${d.change} by ${d.author}: ${d.rationale}` : ', unchanged'}`,
    ...d.diff.map((c) => `    ${c.path}: ${shown(c.before)} → ${shown(c.after)}`),
    ...(d.recordedSince.length > 1
      ? [
          '    versions recorded since the previous publish:',
          ...d.recordedSince.map(
            (r) => `      v${r.version} ${r.change} by ${r.author} at ${r.createdAt}: ${r.rationale}`,
          ),
        ]
      : []),
    `  approved by ${v.approvedBy}`,
    ...v.approvals.map((a) => `    ${a.action} by ${a.actor} at ${a.at}${a.comment ? `: ${a.comment}` : ''}`),
    ...(v.report
      ? [
          `  baseline report: ${v.report.verdict}`,
          ...v.report.reasons.map(
            (r) => `    ${r.verdict} ${r.name}${r.subject ? ` (${r.subject})` : ''}: ${r.reason}`,
          ),
        ]
      : ['  baseline report: none stored']),
    ...(v.notes.length ? ['  notes:', ...noteLines(v.notes, '    ')] : []),
  ];
}

export function registerGovernanceCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('the tamper-evident audit log (through the HTTP API; needs COHORTFLOW_TOKEN)');

  audit
    .command('verify')
    .description(
      'recompute every hash of the audit chain and compare it with the signed checkpoints; exit code 1 when it is broken, rewritten or truncated',
    )
    .option('--json', 'the report as JSON')
    .action(async (o: { json?: boolean }) => {
      const report = await callRoute(verifyAudit, {});
      if (o.json) print(report);
      else write(renderAuditReport(report));
      if (!report.ok) process.exitCode = 1;
    });

  audit
    .command('checkpoint')
    .description("sign the audit log's head now and append it to the checkpoint file (operator role)")
    .option('--json', 'the checkpoint as JSON')
    .action(async (o: { json?: boolean }) => {
      const answer = await callRoute(writeAuditCheckpoint, {});
      if (o.json) print(answer);
      else if (!answer.checkpoint) write(['the audit log is empty: nothing to sign']);
      else {
        const c = answer.checkpoint;
        write([
          `checkpoint: row ${c.rowId}, ${c.rows} rows, hash ${c.hash}, key ${c.keyId}, appended to ${answer.file}`,
        ]);
      }
    });

  audit
    .command('keygen')
    .description('make an Ed25519 key for signing audit checkpoints (for AUDIT_SIGNING_KEY_FILE); never overwrites')
    .requiredOption('--out <file>', 'where to write the private key (mode 0600); the public key goes to <file>.pub')
    .action((o: { out: string }) => {
      const { keyId } = generateAuditKey(o.out);
      write([
        `audit signing key ${keyId} written to ${o.out} (keep it secret, off the database host)`,
        `public key in ${o.out}.pub: after a rotation, list it in AUDIT_PUBLIC_KEY_FILES so older checkpoints still verify`,
      ]);
    });

  audit
    .command('list')
    .description('the latest audit entries, oldest first')
    .option('--run <id>', "one run's entries")
    .option('--limit <n>', 'how many entries', '100')
    .option('--json', 'the entries as JSON')
    .action(async (o: { run?: string; limit: string; json?: boolean }) => {
      const { entries } = await callRoute(listAudit, { query: { run: o.run, limit: o.limit } });
      if (o.json) print(entries);
      else
        write(
          table(
            ['ID', 'AT', 'RUN', 'ACTOR', 'ACTION', 'DETAILS'],
            entries.map((e) => [String(e.id), e.at, e.runId ?? '-', e.actor, e.action, JSON.stringify(e.details)]),
          ),
        );
    });

  const notes = program
    .command('notes')
    .description('the learnings library: notes on runs and cohorts (through the HTTP API)');

  notes
    .command('add')
    .description('add a note to a run or a cohort (analyst or approver role); it is audited')
    .option('--run <id>', 'the run the note is about')
    .option('--cohort <id>', 'the cohort the note is about')
    .requiredOption('--text <text>', 'the note, up to 4000 characters')
    .action(async (o: { run?: string; cohort?: string; text: string }) => {
      const { routes, id } = notesOf(o);
      const note = await callRoute(routes.add, { params: { id }, body: { text: o.text } });
      write([`note ${note.id} added by ${note.author} at ${note.at}`]);
    });

  notes
    .command('list')
    .description("a run's or a cohort's notes, oldest first")
    .option('--run <id>', 'notes on this run')
    .option('--cohort <id>', 'notes on this cohort')
    .option('--json', 'the notes as JSON')
    .action(async (o: { run?: string; cohort?: string; json?: boolean }) => {
      const { routes, id } = notesOf(o);
      const answer = await callRoute(routes.list, { params: { id } });
      if (o.json) print(answer.notes);
      else write(answer.notes.length ? noteLines(answer.notes) : ['no notes yet']);
    });

  const cohorts = program.commands.find((c) => c.name() === 'cohorts');
  if (!cohorts) throw new Error('register the cohorts commands before the governance commands');
  cohorts
    .command('history <id>')
    .description(
      'every published version, newest first: sizes, adds/removes, definition diff, approvals, top reasons, notes',
    )
    .option('--limit <n>', 'how many versions', '20')
    .option('--json', 'the history as JSON')
    .action(async (id: string, o: { limit: string; json?: boolean }) => {
      const history: Answer<typeof cohortHistory> = await callRoute(cohortHistory, {
        params: { id },
        query: { limit: o.limit },
      });
      if (o.json) print(history);
      else if (history.versions.length === 0) write([`${id} has no published version yet`]);
      else write(history.versions.flatMap((v, i) => [...(i ? [''] : []), ...renderVersion(id, v)]));
    });
}
