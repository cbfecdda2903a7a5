import { renderRunReport } from '../../src/cli/runs';
import type { RunReport } from '../../src/api/schemas/runs';

const report: RunReport = {
  runId: 'run-mar',
  asOf: '2026-03-01T00:00:00.000Z',
  sources: [
    {
      source: 'crm',
      kind: 'crm',
      verdict: 'warn',
      filesRead: 1,
      filesSkipped: 0,
      rowsRead: 10,
      stored: 9,
      duplicates: 0,
      quarantined: 1,
      checks: [
        {
          name: 'quarantine_rate',
          verdict: 'warn',
          reason: '1 of 10 rows quarantined (10%)',
          figures: {},
          thresholds: {},
        },
      ],
    },
  ],
  cohorts: [
    {
      cohortId: 'payers',
      snapshotId: 'snap_new',
      tier: 'tactical',
      verdict: 'warn',
      comparedTo: { snapshotId: 'snap_old', version: 4 },
      baseline: { snapshots: 3 },
      changedBy: ['bob'],
      checks: [
        {
          name: 'churn',
          verdict: 'warn',
          reason: 'Jaccard 0.75 …',
          figures: { jaccard: 0.75, adds: 0, removes: 5, addsPct: 0, removesPct: 25 },
          thresholds: {},
        },
        {
          name: 'drift',
          subject: 'plan',
          verdict: 'pass',
          reason: 'PSI 0.01 …',
          figures: { psi: 0.01, chiSquare: 1, pValue: 0.3, cramersV: 0.02, largestMove: null },
          thresholds: {},
        },
      ],
    },
  ],
};

describe('cohortflow runs report', () => {
  it('puts the sources on top, then a table per cohort with the key figures of each check', () => {
    expect(renderRunReport(report)).toEqual([
      'run run-mar, as of 2026-03-01T00:00:00.000Z',
      '',
      'sources:',
      '  SOURCE  KIND  VERDICT  READ  STORED  QUARANTINED  FLAGGED',
      '  crm     crm   warn     10    9       1            quarantine_rate: 1 of 10 rows quarantined (10%)',
      '',
      'payers (tactical): WARN — snapshot snap_new, compared with published version 4 (snap_old) and a trailing baseline of 3 published snapshot(s)',
      '  definition changed since the published version by: bob',
      '  CHECK  SUBJECT  VERDICT  FIGURES                            REASON',
      '  churn           warn     jaccard=0.75 adds=0 removes=5      Jaccard 0.75 …',
      '  drift  plan     pass     psi=0.01 pValue=0.3 cramersV=0.02  PSI 0.01 …',
    ]);
  });

  it('says so when the run has no report yet', () => {
    expect(renderRunReport({ runId: 'r', asOf: null, sources: [], cohorts: [] })).toEqual([
      'run r, as of (not fixed yet)',
      '',
      'sources: no verdicts recorded for this run',
      '',
      'cohorts: no baseline report yet (the run has not reached its baseline tests)',
    ]);
  });
});
