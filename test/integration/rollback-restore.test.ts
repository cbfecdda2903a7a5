import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/activities/deps';
import { restorePrevious, restoreVersion } from '../../src/activities/restore';
import { snapshotIdOf } from '../../src/cohorts/run-compute';
import { createLogger } from '../../src/log';
import { freshDatabase, type TestDatabase } from '../support/db';
import { publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// A rollback writes new published versions and moves every named cohort's current pointer in one
// transaction; the history stays append-only, and a retry changes nothing.

let test: TestDatabase;
let deps: ActivityDeps;
const AS_OF = '2025-01-31T00:00:00.000Z';

beforeAll(async () => {
  test = await freshDatabase('rollback');
  deps = { db: test.db, log: createLogger('silent'), sourceDir: '', catalogDir: '', destinations: [] };
  for (const cohortId of ['lapsed-buyers', 'power-users', 'new-trials'])
    await recordVersion(test.db, cohortId, 1, { tier: 'tactical' }, { author: 'ann' });
});
afterAll(() => test?.drop());

const run = <I, O>(fn: (deps: ActivityDeps, input: I) => Promise<O>, input: I) =>
  new MockActivityEnvironment().run(fn, deps, input) as Promise<O>;

/** Publishes each cohort's snapshot of `runId`, as a finished publish stage leaves it. */
async function published(runId: string, cohorts: string[]): Promise<void> {
  await registerRun(test.db, runId, AS_OF);
  for (const cohortId of cohorts)
    await publish(test.db, await storeSnapshot(test.db, { runId, cohortId, version: 1, asOf: AS_OF, customerIds: [] }));
}

const current = async (cohortId: string) =>
  (
    await test.db.query<{ snapshot_id: string }>('SELECT snapshot_id FROM cohort_current WHERE cohort_id = $1', [
      cohortId,
    ])
  ).rows[0]?.snapshot_id;
const versions = async (cohortId: string) =>
  (
    await test.db.query(
      'SELECT version, snapshot_id, previous_snapshot_id, run_id, approved_by, restores_version, reason FROM published_versions WHERE cohort_id = $1 ORDER BY version',
      [cohortId],
    )
  ).rows;

describe('restorePrevious', () => {
  it('switches several cohorts back to the snapshots the run replaced, as new versions, and audits who and why', async () => {
    await published('run-jan', ['lapsed-buyers', 'power-users']);
    await published('run-feb', ['lapsed-buyers', 'power-users']);
    const restored = await run(restorePrevious, {
      runId: 'run-feb',
      rollbackId: 'run-feb:rollback:1',
      cohorts: ['lapsed-buyers', 'power-users'],
      requestedBy: 'alex',
      reason: 'churn spike',
    });

    expect(restored).toEqual([
      {
        cohortId: 'lapsed-buyers',
        version: 3,
        restoresVersion: 1,
        snapshotId: snapshotIdOf('run-jan', 'lapsed-buyers'),
        alreadyRestored: false,
      },
      {
        cohortId: 'power-users',
        version: 3,
        restoresVersion: 1,
        snapshotId: snapshotIdOf('run-jan', 'power-users'),
        alreadyRestored: false,
      },
    ]);
    for (const cohortId of ['lapsed-buyers', 'power-users']) {
      expect(await current(cohortId)).toBe(snapshotIdOf('run-jan', cohortId));
      const history = await versions(cohortId);
      expect(history).toHaveLength(3); // nothing rewritten: version 2 stays, version 3 undoes it
      expect(history[2]).toMatchObject({
        run_id: 'run-feb:rollback:1',
        approved_by: 'alex',
        restores_version: 1,
        reason: 'churn spike',
        previous_snapshot_id: history[1]!.snapshot_id,
      });
    }
    const audit = await test.db.query("SELECT run_id, actor, details FROM audit_log WHERE action = 'rollback'");
    expect(audit.rows).toEqual([
      {
        run_id: 'run-feb',
        actor: 'alex',
        details: expect.objectContaining({ rollbackId: 'run-feb:rollback:1', reason: 'churn spike' }),
      },
    ]);
  });

  it('changes nothing when retried, and says so', async () => {
    const again = await run(restorePrevious, {
      runId: 'run-feb',
      rollbackId: 'run-feb:rollback:1',
      cohorts: ['lapsed-buyers', 'power-users'],
      requestedBy: 'alex',
      reason: 'churn spike',
    });
    expect(again.map((r) => [r.cohortId, r.version, r.alreadyRestored])).toEqual([
      ['lapsed-buyers', 3, true],
      ['power-users', 3, true],
    ]);
    expect(await versions('lapsed-buyers')).toHaveLength(3);
    expect((await test.db.query("SELECT 1 FROM audit_log WHERE action = 'rollback'")).rowCount).toBe(1);
  });

  it('withdraws a first publish: no current snapshot, and a version without one', async () => {
    await published('run-first', ['new-trials']);
    const [restored] = await run(restorePrevious, {
      runId: 'run-first',
      rollbackId: 'run-first:rollback:1',
      cohorts: ['new-trials'],
      requestedBy: 'alex',
      reason: 'wrong definition',
    });
    expect(restored).toEqual({
      cohortId: 'new-trials',
      version: 2,
      restoresVersion: null,
      snapshotId: null,
      alreadyRestored: false,
    });
    expect(await current('new-trials')).toBeUndefined();
    expect((await versions('new-trials'))[1]).toMatchObject({
      snapshot_id: null,
      previous_snapshot_id: snapshotIdOf('run-first', 'new-trials'),
    });
  });

  it('moves no pointer when one of the cohorts cannot be rolled back', async () => {
    await published('run-mar', ['lapsed-buyers']);
    const before = await current('lapsed-buyers');
    await expect(
      run(restorePrevious, {
        runId: 'run-mar',
        rollbackId: 'run-mar:rollback:1',
        cohorts: ['lapsed-buyers', 'power-users'],
        requestedBy: 'alex',
        reason: 'x',
      }),
    ).rejects.toThrow('run run-mar published no version of power-users; nothing rolled back');
    expect(await current('lapsed-buyers')).toBe(before);
    await published('run-apr', ['lapsed-buyers']);
    await expect(
      run(restorePrevious, {
        runId: 'run-mar',
        rollbackId: 'run-mar:rollback:1',
        cohorts: ['lapsed-buyers'],
        requestedBy: 'alex',
        reason: 'x',
      }),
    ).rejects.toThrow(/lapsed-buyers was published again after this run/);
  });
});

describe('restoreVersion', () => {
  it('restores any published version of a cohort as its newest version', async () => {
    const restored = await run(restoreVersion, {
      rollbackId: 'rollback-power-users-to-v2-1',
      auditRunId: 'rollback-power-users-to-v2-1',
      cohortId: 'power-users',
      toVersion: 2,
      requestedBy: 'olivia',
      approvedBy: 'alex',
      reason: 'back to February',
    });
    expect(restored).toMatchObject({ cohortId: 'power-users', version: 4, restoresVersion: 2, alreadyRestored: false });
    expect(await current('power-users')).toBe((await versions('power-users'))[1]!.snapshot_id);
    await expect(
      run(restoreVersion, {
        rollbackId: 'r',
        auditRunId: 'r',
        cohortId: 'power-users',
        toVersion: 99,
        requestedBy: 'olivia',
        approvedBy: 'alex',
        reason: 'x',
      }),
    ).rejects.toThrow('power-users has no published version 99; nothing restored');
  });
});
