import type { Command } from 'commander';
import type { CheckResult } from '../api/schemas/checks';
import { runQuarantine, runReport, type RunReport } from '../api/schemas/runs';
import type { CheckName, RunQuarantine } from '../shared';
import { callRoute } from './api-client';
import { show, table } from './output';

// `cohortflow runs report <id>`: what a run's baseline tests and ingest checks found, as the
// approver reads it before deciding; `runs quarantine <id>`: what its ingest could not store
// (through the API, like every other command).

/** The figures that carry each check's meaning; the rest are in --json. */
const KEY_FIGURES: Partial<Record<CheckName, string[]>> = {
  min_size: ['size'],
  empty: ['size'],
  size_shift: ['previous', 'size', 'shiftPct'],
  size_vs_baseline: ['n', 'median', 'shiftPct'],
  churn: ['jaccard', 'adds', 'removes'],
  blast_radius: ['removes', 'removedPct'],
  drift: ['psi', 'pValue', 'cramersV'],
  value_shift: ['meanUsd', 'meanShiftPct', 'medianUsd', 'medianShiftPct'],
  definition_change: ['publishedVersion', 'version', 'changes'],
};

function figuresOf(check: CheckResult): string {
  const keys = KEY_FIGURES[check.name] ?? Object.keys(check.figures);
  return (
    keys
      .filter((k) => check.figures[k] !== null && check.figures[k] !== undefined)
      .map((k) => `${k}=${check.figures[k]}`)
      .join(' ') || '-'
  );
}

export function renderRunReport(r: RunReport): string[] {
  const lines = [`run ${r.runId}, as of ${r.asOf ?? '(not fixed yet)'}`, ''];
  if (r.sources.length === 0) lines.push('sources: no verdicts recorded for this run');
  else {
    lines.push('sources:');
    const flagged = (checks: CheckResult[]) =>
      checks
        .filter((c) => c.verdict !== 'pass')
        .map((c) => `${c.name}: ${c.reason}`)
        .join('; ') || '-';
    lines.push(
      ...table(
        ['SOURCE', 'KIND', 'VERDICT', 'READ', 'STORED', 'QUARANTINED', 'ERASED', 'FLAGGED'],
        r.sources.map((s) => [
          s.source,
          s.kind,
          s.verdict,
          String(s.rowsRead),
          String(s.stored),
          String(s.quarantined),
          String(s.erased),
          flagged(s.checks),
        ]),
      ).map((l) => `  ${l}`),
    );
  }
  if (r.cohorts.length === 0)
    lines.push('', 'cohorts: no baseline report yet (the run has not reached its baseline tests)');
  for (const c of r.cohorts) {
    const compared = c.comparedTo
      ? `compared with published version ${c.comparedTo.version} (${c.comparedTo.snapshotId}) and a trailing baseline of ${c.baseline.snapshots} published snapshot(s)`
      : 'first publish: nothing to compare with';
    lines.push('', `${c.cohortId} (${c.tier}): ${c.verdict.toUpperCase()} — snapshot ${c.snapshotId}, ${compared}`);
    if (c.changedBy.length > 0)
      lines.push(`  definition changed since the published version by: ${c.changedBy.join(', ')}`);
    lines.push(
      ...table(
        ['CHECK', 'SUBJECT', 'VERDICT', 'FIGURES', 'REASON'],
        c.checks.map((k) => [k.name, k.subject ?? '', k.verdict, figuresOf(k), k.reason]),
      ).map((l) => `  ${l}`),
    );
  }
  return lines;
}

/** Raw text shown per quarantined row: enough to recognise it (--json has all that is kept). */
const RAW_SHOWN = 60;

export function renderRunQuarantine(q: RunQuarantine): string[] {
  const lines = [`run ${q.runId}: ${q.files.length} file(s) and ${q.rowsTotal} row(s) quarantined`];
  if (q.files.length > 0)
    lines.push(
      '',
      ...table(
        ['SOURCE', 'FILE', 'BYTES READ', 'ROWS READ', 'REASON'],
        q.files.map((f) => [f.source, f.file, String(f.bytesRead), String(f.rowsRead), f.reason]),
      ),
    );
  if (q.rows.length > 0) {
    const shown = (r: RunQuarantine['rows'][number]) => {
      const text = r.raw.replace(/[\t\r\n]/g, ' ');
      return text.length > RAW_SHOWN || r.rawTruncated ? `${text.slice(0, RAW_SHOWN)}…` : text;
    };
    lines.push(
      '',
      ...table(
        ['SOURCE', 'FILE', 'LINE', 'BYTES', 'REASON', 'RAW'],
        q.rows.map((r) => [
          r.source,
          r.file,
          String(r.line),
          `${r.rawLength ?? '?'}${r.rawTruncated ? ' (cut)' : ''}`,
          r.reason,
          shown(r),
        ]),
      ),
    );
  }
  if (q.rows.length < q.rowsTotal) lines.push(`… and ${q.rowsTotal - q.rows.length} more row(s) (--limit)`);
  return lines;
}

export function registerRunCommands(program: Command): void {
  const runs = program.command('runs').description('what a run found (through the HTTP API; needs COHORTFLOW_TOKEN)');
  runs
    .command('report <id>')
    .description("the run's baseline report: source verdicts, then every check of every cohort with its figures")
    .option('--json', 'the whole report as JSON, every figure, threshold and detail')
    .action(async (id: string, o: { json?: boolean }) => {
      const report = await callRoute(runReport, { params: { id } });
      show(report, o.json, renderRunReport);
    });
  runs
    .command('quarantine <id>')
    .description("what the run's ingest quarantined: whole files (reason, bytes read), then rows with their length")
    .option('--limit <n>', 'rows to list', '100')
    .option('--json', 'the whole answer, with each row as kept (up to 64 KiB) and the exact bytes of undecodable rows')
    .action(async (id: string, o: { limit: string; json?: boolean }) => {
      const found = await callRoute(runQuarantine, { params: { id }, query: { limit: Number(o.limit) } });
      show(found, o.json, renderRunQuarantine);
    });
}
