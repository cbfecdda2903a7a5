import type { AuditChainBreak, AuditChainReport, CheckpointSummary } from '../governance/audit-chain';

// `cohortflow audit verify` as a person reads it: what was checked, what broke and where, and
// what the check cannot see.

const signedBy = (c: NonNullable<AuditChainBreak['checkpoint']>) => `signed ${c.at} with key ${c.keyId}`;

function breakLines(b: AuditChainBreak, rows: number): string[] {
  const c = b.checkpoint;
  const since = b.intactUpTo
    ? `after row ${b.intactUpTo} (the last checkpoint that still matches)`
    : 'from the first row';
  switch (b.reason) {
    case 'differs from a signed checkpoint':
      return [
        `audit log REWRITTEN: row ${b.id} no longer has the hash a checkpoint recorded (${signedBy(c!)}, ${c!.rows} rows up to it)`,
        `  signed   ${b.expected}`,
        `  now      ${b.found}`,
        `  rows ${since} up to row ${b.id} were changed, removed or added, and the chain re-hashed to hide it`,
      ];
    case 'a checkpointed row is missing':
      return [
        `audit log REWRITTEN: row ${b.id}, recorded in a checkpoint (${signedBy(c!)}), is missing`,
        `  rows ${since} were removed and the chain re-hashed to hide it`,
      ];
    case 'the log ends before a signed checkpoint':
      return [
        `audit log TRUNCATED: a checkpoint (${signedBy(c!)}) covers ${c!.rows} rows up to row ${b.id}; the log now has ${rows} rows${b.logEnd ? `, ending at row ${b.logEnd.rowId}` : ''}`,
        `  rows after ${b.logEnd ? `row ${b.logEnd.rowId}` : 'the start'} were deleted (${c!.rows - rows} rows)`,
      ];
    default:
      return [
        `audit chain BROKEN at row ${b.id}: ${b.reason}`,
        `  expected ${b.expected}`,
        `  found    ${b.found ?? '(none)'}`,
        `  (${rows} rows read; the rows before ${b.id} verify)`,
      ];
  }
}

function checkpointLines(c: CheckpointSummary | undefined): string[] {
  if (!c)
    return [
      '  no signed checkpoints were checked: a database superuser who edits rows and re-hashes the chain, or deletes the last rows, would not be seen',
    ];
  return [
    c.latest
      ? `  against ${c.signed} signed checkpoint${c.signed === 1 ? '' : 's'}${c.file ? ` in ${c.file}` : ''}; the latest covers ${c.latest.rows} rows up to row ${c.latest.rowId} (signed ${c.latest.at})`
      : `  no signed checkpoint yet${c.file ? ` in ${c.file}` : ''}: write one with \`cohortflow audit checkpoint\``,
    ...(c.uncovered > 0
      ? [
          `  ${c.uncovered} row${c.uncovered === 1 ? '' : 's'} after the latest checkpoint ${c.uncovered === 1 ? 'is' : 'are'} covered by the hash chain only until the next checkpoint`,
        ]
      : []),
    ...c.refused.map((r) => `  checkpoint file line ${r.line} REFUSED: ${r.reason}`),
  ];
}

export function renderAuditReport(report: AuditChainReport): string[] {
  const head = report.brokenAt
    ? breakLines(report.brokenAt, report.rows)
    : [
        report.ok
          ? `audit chain intact: ${report.rows} rows`
          : `audit chain intact (${report.rows} rows), but the checkpoint file holds lines that do not verify`,
      ];
  return [...head, ...checkpointLines(report.checkpoints)];
}
