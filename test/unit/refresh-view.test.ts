import { bar, duration, progressLine, renderRefreshStatus } from '../../src/cli/refresh-view';
import type { RunReport } from '../../src/api/schemas/runs';
import type { RefreshStatus } from '../../src/shared';

// `refresh status` for people: a summary a person reads at a glance, the document with --json.

const NOW = new Date('2026-03-01T12:00:00Z');

describe('figures for people', () => {
  it.each([
    [42, '42 s'],
    [600, '10 min'],
    [3 * 3600 + 5 * 60, '3 h 05 min'],
    [2 * 86_400 + 4 * 3600, '2 d 4 h'],
  ])('%p seconds read as %p', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });

  it('draws the share done as a bar with its percentage', () => {
    expect(bar(0.5, 10)).toBe('[#####-----] 50%');
    expect(bar(1, 4)).toBe('[####] 100%');
  });

  it('puts the step, its counts, the bar and the time left on one line', () => {
    expect(
      progressLine(
        {
          step: 'ingest',
          since: '2026-03-01T11:59:00Z',
          files: { done: 2, total: 4 },
          rows: 123_456,
          chunks: 3,
          fraction: 0.5,
          etaSeconds: 60,
        },
        NOW,
      ),
    ).toBe('ingest  files 2/4  123,456 rows  3 chunk(s)  [############------------] 50%  about 1 min left');
    expect(progressLine({ step: 'measures', since: '2026-03-01T11:59:30Z' }, NOW)).toBe('measures  30 s so far');
  });
});

const waiting: RefreshStatus = {
  runId: 'refresh-adhoc-1',
  stage: 'awaiting-approval',
  cadence: 'adhoc',
  tier: 'all',
  requestedBy: 'alice',
  asOf: '2026-03-01T10:00:00Z',
  ingest: {
    runId: 'refresh-adhoc-1',
    filesRead: 4,
    filesSkipped: 1,
    rowsRead: 12_345,
    stored: 12_000,
    duplicates: 300,
    quarantined: 45,
    erased: 0,
    lateAttributed: 0,
    watermarks: {},
    sources: [],
  },
  cohorts: [
    {
      cohortId: 'payers',
      snapshotId: 's1',
      definitionVersion: 2,
      tier: 'strategic',
      size: 1_234,
      contentHash: 'h1',
      verdict: 'warn',
    },
    {
      cohortId: 'new-trials',
      snapshotId: 's2',
      definitionVersion: 1,
      tier: 'tactical',
      size: 80,
      contentHash: 'h2',
      verdict: 'pass',
    },
  ],
  reports: [
    {
      cohortId: 'payers',
      snapshotId: 's1',
      verdict: 'warn',
      checks: [{ name: 'size_shift', verdict: 'warn', reason: '+20%' }],
    },
    { cohortId: 'new-trials', snapshotId: 's2', verdict: 'pass', checks: [] },
  ],
  pendingApproval: {
    since: '2026-03-01T11:00:00Z',
    deadline: '2026-03-04T11:00:00Z',
    approvers: ['bob', 'carol'],
    reason: 'strategic cohort',
  },
  approval: {
    since: '2026-03-01T11:00:00Z',
    deadline: '2026-03-04T11:00:00Z',
    reason: 'strategic cohort',
    approvers: ['bob', 'carol'],
    excluded: ['alice'],
    remindersSent: 0,
    cohorts: [
      {
        cohortId: 'payers',
        tier: 'strategic',
        state: 'waiting',
        reason: 'strategic cohort',
        approvalsRequired: 2,
        approvals: [{ by: 'bob', at: '2026-03-01T11:30:00Z' }],
        failed: false,
      },
      {
        cohortId: 'new-trials',
        tier: 'tactical',
        state: 'auto',
        reason: 'checks pass',
        approvalsRequired: 0,
        approvals: [],
        failed: false,
      },
    ],
  },
  ignored: [],
};

const report = {
  runId: 'refresh-adhoc-1',
  asOf: '2026-03-01T10:00:00Z',
  sources: [],
  cohorts: [
    {
      cohortId: 'payers',
      snapshotId: 's1',
      tier: 'strategic',
      verdict: 'warn',
      comparedTo: { snapshotId: 's0', version: 3 },
      baseline: { snapshots: 3 },
      changedBy: [],
      checks: [
        { name: 'size_shift', verdict: 'warn', reason: '', figures: { previous: 1_030, size: 1_234 }, thresholds: {} },
        {
          name: 'churn',
          verdict: 'pass',
          reason: '',
          figures: { jaccard: 0.8, adds: 250, removes: 46 },
          thresholds: {},
        },
      ],
    },
    {
      cohortId: 'new-trials',
      snapshotId: 's2',
      tier: 'tactical',
      verdict: 'pass',
      comparedTo: null,
      baseline: { snapshots: 0 },
      changedBy: [],
      checks: [],
    },
  ],
} as unknown as RunReport;

describe('refresh status as a summary', () => {
  const lines = renderRefreshStatus(waiting, report, NOW);

  it('opens with the run and its stage, who asked and as of when', () => {
    expect(lines.slice(0, 2)).toEqual([
      'refresh-adhoc-1: awaiting-approval',
      '  requested by alice, adhoc, all tiers, as of 2026-03-01T10:00:00Z',
    ]);
  });

  it('says who may decide, by when, and which cohorts still wait with their approvals', () => {
    expect(lines).toEqual(
      expect.arrayContaining([
        '    may decide: bob, carol; deadline 2026-03-04T11:00:00Z (in 2 d 23 h)',
        '    waiting: payers (1/2)',
      ]),
    );
  });

  it('has one row per cohort with its size, what changed and its verdict', () => {
    const table = lines.slice(lines.indexOf('') + 1);
    expect(table[0]).toMatch(/^COHORT\s+TIER\s+SIZE\s+CHANGE\s+VERDICT\s+GATE\s+FLAGGED$/);
    expect(table[1]).toMatch(/^payers\s+strategic\s+1,234\s+\+250 -46 \(was 1,030\)\s+warn\s+waiting\s+size_shift$/);
    expect(table[2]).toMatch(/^new-trials\s+tactical\s+80\s+first publish\s+pass\s+auto\s+-$/);
  });

  it('is a few hundred bytes, not the whole document', () => {
    expect(lines.join('\n').length).toBeLessThan(1_500);
  });
});

describe('refresh status of a run whose ingest quarantined files', () => {
  it('names each quarantined file with its reason, and those skipped for an earlier quarantine', () => {
    const lines = renderRefreshStatus(
      {
        ...waiting,
        ingest: {
          ...waiting.ingest!,
          filesQuarantined: 1,
          quarantinedFiles: [
            {
              source: 'product',
              file: 'product-0007.csv.gz',
              sha256: 'ab',
              reason: 'truncated or corrupt gzip data: unexpected end of file (Z_BUF_ERROR)',
              bytesRead: 40_960,
              rowsRead: 1_200,
              runId: 'refresh-adhoc-1',
              skipped: false,
            },
            {
              source: 'crm',
              file: 'crm-0002.csv',
              sha256: 'cd',
              reason: 'not a text file: a NUL byte at byte offset 3 (binary data, or text in UTF-16)',
              bytesRead: 512,
              rowsRead: 0,
              runId: 'refresh-adhoc-0',
              skipped: true,
            },
          ],
        },
      },
      report,
      NOW,
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        '  ingest: 4 file(s) read, 1 skipped, 1 quarantined; 12,345 rows: 12,000 stored, 300 duplicate(s), 45 quarantined, 0 erased',
        '    product/product-0007.csv.gz: quarantined after 40,960 bytes, 1,200 rows: truncated or corrupt gzip data: unexpected end of file (Z_BUF_ERROR)',
        '    crm/crm-0002.csv: skipped, quarantined by run refresh-adhoc-0: not a text file: a NUL byte at byte offset 3 (binary data, or text in UTF-16)',
      ]),
    );
  });
});

describe('refresh status of a run held by a freeze', () => {
  const frozen: RefreshStatus = {
    ...waiting,
    stage: 'frozen',
    slot: '2027-01-04T05:00:00.000Z',
    pendingApproval: undefined,
    freeze: {
      policy: 'wait',
      until: '2027-01-06T23:00:00.000Z',
      freezes: [
        {
          name: 'quarter-close',
          reason: 'Finance closes the quarter.',
          onPublish: 'wait',
          start: '2026-12-29T23:00:00.000Z',
          end: '2027-01-06T23:00:00.000Z',
        },
      ],
    },
  };

  it('says which freeze holds it, until when, and the slot it was scheduled for', () => {
    const lines = renderRefreshStatus(frozen, report, NOW);
    expect(lines[0]).toBe('refresh-adhoc-1: frozen');
    expect(lines).toEqual(
      expect.arrayContaining([
        '  scheduled slot: 2027-01-04T05:00:00.000Z',
        '  frozen until 2027-01-06T23:00:00.000Z: quarter-close (Finance closes the quarter.)',
      ]),
    );
  });
});
