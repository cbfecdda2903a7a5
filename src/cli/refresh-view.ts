import type { RunReport } from '../api/schemas/runs';
import type { RefreshStatus, RunProgress } from '../shared';
import { table } from './output';

// `refresh status` and `refresh watch` for people: the stage and its progress, who must decide
// by when, and one line per cohort with its size, what changed and its verdict. `--json` prints
// the API's document instead.

const count = (n: number) => n.toLocaleString('en-US');

/** "45 s", "12 min", "3 h 05 min", "2 d 4 h": coarse enough to read at a glance. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
  return `${Math.floor(s / 86_400)} d ${Math.round((s % 86_400) / 3600)} h`;
}

/** `[##########----------] 50%`: the share done, in `width` cells. */
export function bar(fraction: number, width = 24): string {
  const done = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(done)}${'-'.repeat(width - done)}] ${Math.floor(fraction * 100)}%`;
}

/** One line: the step, its counts, a bar and the time left when they can be told. */
export function progressLine(p: RunProgress, now: Date): string {
  const parts = [`${p.step}`];
  if (p.files) parts.push(`files ${p.files.done}/${p.files.total}`);
  if (p.rows !== undefined) parts.push(`${count(p.rows)} rows`);
  if (p.chunks !== undefined) parts.push(`${p.chunks} chunk(s)`);
  if (p.cohorts) parts.push(`cohorts ${p.cohorts.done}/${p.cohorts.total}`);
  if (p.batches) parts.push(`batches ${p.batches.done}/${p.batches.total}`);
  if (p.fraction !== undefined) parts.push(bar(p.fraction));
  parts.push(
    p.etaSeconds !== undefined
      ? `about ${duration(p.etaSeconds)} left`
      : `${duration((now.getTime() - Date.parse(p.since)) / 1000)} so far`,
  );
  return parts.join('  ');
}

/** What changed for each cohort, from the stored report's size and churn figures. */
function changesOf(report: RunReport | undefined): Map<string, string> {
  const changes = new Map<string, string>();
  for (const c of report?.cohorts ?? []) {
    if (!c.comparedTo) {
      changes.set(c.cohortId, 'first publish');
      continue;
    }
    const figure = (name: string, key: string) => c.checks.find((k) => k.name === name)?.figures[key];
    const adds = figure('churn', 'adds');
    const removes = figure('churn', 'removes');
    const previous = figure('size_shift', 'previous');
    changes.set(
      c.cohortId,
      adds === undefined || removes === undefined
        ? '-'
        : `+${count(Number(adds))} -${count(Number(removes))}${previous !== undefined && previous !== null ? ` (was ${count(Number(previous))})` : ''}`,
    );
  }
  return changes;
}

export function renderRefreshStatus(s: RefreshStatus, report: RunReport | undefined, now = new Date()): string[] {
  const lines = [
    `${s.runId}: ${s.stage}${s.outcome ? ` (${s.outcome})` : ''}`,
    `  requested by ${s.requestedBy}, ${s.cadence}, ${s.tier === 'all' ? 'all tiers' : s.tier}${s.asOf ? `, as of ${s.asOf}` : ''}`,
  ];
  if (s.progress) {
    lines.push(`  progress: ${progressLine(s.progress, now)}`);
    if (s.progress.note) lines.push(`  note: ${s.progress.note}`);
  }
  if (s.rerunOf) lines.push(`  re-run of ${s.rerunOf.runId} from ${s.rerunOf.from}`);
  if (s.failure && s.outcome === 'failed') {
    lines.push(`  failed${s.failedAt ? ` in ${s.failedAt}` : ''}: ${s.failure}`);
    lines.push(`  re-run it: cohortflow refresh rerun ${s.runId} (see "When a run fails" in the README)`);
  } else if (s.failure) lines.push(`  ${s.failure}`);
  if (s.slot) lines.push(`  scheduled slot: ${s.slot}`);
  const freeze = s.freeze;
  if (freeze && !freeze.clearedAt && freeze.policy === 'wait')
    lines.push(`  frozen until ${freeze.until}: ${freeze.freezes.map((f) => `${f.name} (${f.reason})`).join('; ')}`);
  if (s.skipped) lines.push(`  skipped: ${s.skipped}`);
  if (s.ingest) {
    const i = s.ingest;
    const bad = i.filesQuarantined ? `, ${i.filesQuarantined} quarantined` : '';
    lines.push(
      `  ingest: ${i.filesRead} file(s) read, ${i.filesSkipped} skipped${bad}; ${count(i.rowsRead)} rows: ${count(i.stored)} stored, ${count(i.duplicates)} duplicate(s), ${count(i.quarantined)} quarantined, ${count(i.erased)} erased`,
    );
    for (const f of i.quarantinedFiles ?? [])
      lines.push(
        f.skipped
          ? `    ${f.source}/${f.file}: skipped, quarantined by run ${f.runId}: ${f.reason}`
          : `    ${f.source}/${f.file}: quarantined after ${count(f.bytesRead)} bytes, ${count(f.rowsRead)} rows: ${f.reason}`,
      );
  }
  if (s.models)
    for (const p of s.models.proposals)
      lines.push(
        `  model ${p.modelId}: ${p.outcome ?? 'proposed'}; ${p.promotable ? 'promotable' : 'not promotable'} (${p.reason})${p.psi !== undefined ? `, drift PSI ${p.psi.toFixed(4)}` : ''}`,
      );
  for (const r of s.models?.refused ?? []) lines.push(`  model ${r.kind}: not fitted (${r.reason})`);
  const gate = s.pendingApproval;
  if (gate) {
    const left = (Date.parse(gate.deadline) - now.getTime()) / 1000;
    lines.push(
      `  waiting for approval since ${gate.since}: ${gate.reason}`,
      `    may decide: ${gate.approvers.join(', ') || 'nobody eligible'}; deadline ${gate.deadline} (${left > 0 ? `in ${duration(left)}` : 'passed'})`,
    );
    const waiting = s.approval?.cohorts.filter((c) => c.state === 'waiting') ?? [];
    if (waiting.length)
      lines.push(
        `    waiting: ${waiting.map((c) => `${c.cohortId} (${c.approvals.length}/${c.approvalsRequired})`).join(', ')}`,
      );
  }
  for (const d of s.decisions ?? (s.decision ? [s.decision] : []))
    lines.push(
      `  ${d.kind} by ${d.by} at ${d.at}${d.cohorts?.length ? ` for ${d.cohorts.join(', ')}` : ''}${d.comment ? `: "${d.comment}"` : ''}`,
    );
  if (s.watch)
    lines.push(
      `  watch window ${s.watch.closed ? 'closed' : 'open'} until ${s.watch.closesAt}${s.watch.closed ? '' : ` (rollback: cohortflow refresh rollback ${s.runId} --reason …)`}`,
    );
  for (const r of s.rollbacks ?? []) lines.push(`  rolled back by ${r.by} at ${r.at}: ${r.reason}`);
  if (s.ignored.length) lines.push(`  ${s.ignored.length} message(s) ignored (--json lists them)`);

  if (s.cohorts.length) {
    const changes = changesOf(report);
    const state = new Map(s.approval?.cohorts.map((c) => [c.cohortId, c.state]) ?? []);
    const flagged = new Map(
      s.reports.map((r) => [
        r.cohortId,
        r.checks.map((c) => (c.subject ? `${c.name}(${c.subject})` : c.name)).join(', ') || '-',
      ]),
    );
    lines.push(
      '',
      ...table(
        ['COHORT', 'TIER', 'SIZE', 'CHANGE', 'VERDICT', 'GATE', 'FLAGGED'],
        s.cohorts.map((c) => [
          c.cohortId,
          c.tier,
          count(c.size),
          changes.get(c.cohortId) ?? '-',
          c.verdict ?? '-',
          state.get(c.cohortId) ?? '-',
          flagged.get(c.cohortId) ?? '-',
        ]),
      ),
    );
  }
  // What approvers of a promoted definition read first: how it behaved as a shadow beside the old rule.
  for (const r of s.reports)
    for (const c of r.checks)
      if (c.name === 'definition_change' && c.reason.includes('promoted from shadow'))
        lines.push(`  ${r.cohortId}: ${c.reason.slice(c.reason.indexOf('promoted from shadow'))}`);
  if (s.shadows?.length)
    lines.push(
      '',
      'shadows (computed beside the live cohorts, never published):',
      ...table(
        ['COHORT', 'SHADOW', 'LIVE', 'SHADOW SIZE', 'ADDS', 'REMOVES', 'JACCARD', 'VERDICT', 'RUNS LEFT'],
        s.shadows.map((x) => [
          x.cohortId,
          x.shadowId,
          x.liveSize === null ? '-' : count(x.liveSize),
          x.shadowSize === null ? '-' : count(x.shadowSize),
          String(x.adds ?? '-'),
          String(x.removes ?? '-'),
          String(x.jaccard ?? '-'),
          x.error ? `not computed: ${x.error}` : (x.verdict ?? '-'),
          x.runsRemaining === null ? '-' : `${x.runsRemaining} (${x.status})`,
        ]),
      ),
    );
  return lines;
}
