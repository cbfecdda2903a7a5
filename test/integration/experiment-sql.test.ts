import { type Allocation, armAt, assignmentBucket, planAssignments } from '../../src/experiments/assignment';
import { freshDatabase, type TestDatabase } from '../support/db';
import { recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// The experiments migration's SQL against the TypeScript assignment it must equal: set-based
// assignment in Postgres and the specification in TypeScript put every member in the same arm.

const SALT = 'wb-2026-11-Xk3v9QpL';
let test: TestDatabase;

const v1: Allocation = {
  version: 1,
  arms: [
    { arm: 'holdout', share: 0.1 },
    { arm: 'plain', share: 0.45 },
    { arm: 'discount', share: 0.45 },
  ],
};
const v2: Allocation = {
  version: 2,
  arms: [
    { arm: 'holdout', share: 0.1 },
    { arm: 'plain', share: 0.2 + 0.1 },
    { arm: 'discount', share: 0.6 - 1e-12 },
  ],
};

async function addCustomers(ids: string[]): Promise<void> {
  await test.db.query(
    `INSERT INTO customers (customer_id, first_seen_at, updated_at) SELECT id, now(), now() FROM unnest($1::text[]) AS id`,
    [ids],
  );
}

async function addAllocation(a: Allocation): Promise<void> {
  await test.db.query(
    `INSERT INTO experiment_allocations (experiment_id, version, arms, shares) VALUES ('winback-email', $1, $2, $3)`,
    [a.version, a.arms.map((x) => x.arm), a.arms.map((x) => x.share)],
  );
}

async function assignments(): Promise<Map<string, { arm: string; bucket: number; version: number }>> {
  const { rows } = await test.db.query<{
    customer_id: string;
    arm: string;
    bucket: number;
    allocation_version: number;
  }>(
    `SELECT customer_id, arm, bucket, allocation_version FROM experiment_assignments WHERE experiment_id = 'winback-email'`,
  );
  return new Map(rows.map((r) => [r.customer_id, { arm: r.arm, bucket: r.bucket, version: r.allocation_version }]));
}

beforeAll(async () => {
  test = await freshDatabase('experiment_sql');
  await recordVersion(test.db, 'at-risk-paid', 1, { tier: 'tactical' }, { author: 'dave' });
  await test.db.query(
    `INSERT INTO experiments (experiment_id, cohort_id, definition, salt, created_by, rationale)
     VALUES ('winback-email', 'at-risk-paid', '{}', $1, 'dave', 'does the e-mail bring them back')`,
    [SALT],
  );
  await addAllocation(v1);
});
afterAll(() => test?.drop());

describe('the experiments migration', () => {
  it('computes the same bucket as TypeScript for every customer', async () => {
    const ids = Array.from({ length: 2_000 }, (_, i) => (i % 7 === 0 ? `über_${i}@example.com` : `crm_${i}`));
    const { rows } = await test.db.query<{ customer_id: string; bucket: number }>(
      `SELECT id AS customer_id, experiment_bucket($1, id) AS bucket FROM unnest($2::text[]) AS id`,
      [SALT, ids],
    );
    expect(rows).toHaveLength(2_000);
    expect(rows.filter((r) => r.bucket !== assignmentBucket(SALT, r.customer_id))).toEqual([]);
  });

  it('picks the same arm as TypeScript, at the borders and with rounded shares', async () => {
    const buckets = [0, 0.05, 0.1, 0.0999999999999, 0.4, 0.39999999999, 0.7, 0.99999999999, 0.9999999999999999];
    const { rows } = await test.db.query<{ bucket: number; arm: string }>(
      `SELECT b AS bucket, experiment_arm(b, $2::text[], experiment_lower_bounds($3::float8[])) AS arm
       FROM unnest($1::float8[]) AS b`,
      [buckets, v2.arms.map((a) => a.arm), v2.arms.map((a) => a.share)],
    );
    expect(rows.map((r) => [r.bucket, r.arm])).toEqual(buckets.map((b) => [b, armAt(b, v2)]));
  });

  it('assigns a snapshot as planAssignments does, and keeps existing members under a new allocation', async () => {
    const first = Array.from({ length: 3_000 }, (_, i) => `crm_a${i}`);
    const later = Array.from({ length: 3_000 }, (_, i) => `crm_b${i}`);
    await addCustomers([...first, ...later]);
    await registerRun(test.db, 'refresh-1', '2026-11-01T06:00:00Z');
    const s1 = await storeSnapshot(test.db, {
      runId: 'refresh-1',
      cohortId: 'at-risk-paid',
      version: 1,
      asOf: '2026-11-01T06:00:00Z',
      customerIds: first,
    });
    const assign = (snapshot: string, run: string) =>
      test.db.query<{ n: number }>(`SELECT experiment_assign('winback-email', $1, $2, now()) AS n`, [snapshot, run]);

    expect((await assign(s1, 'refresh-1')).rows[0]!.n).toBe(3_000);
    expect((await assign(s1, 'refresh-1')).rows[0]!.n).toBe(0);
    const expected1 = planAssignments({ salt: SALT, allocation: v1, members: first, existing: new Map() });
    const stored1 = await assignments();
    expect(expected1.assigned.filter((a) => stored1.get(a.customerId)?.arm !== a.arm)).toEqual([]);

    await addAllocation(v2);
    await registerRun(test.db, 'refresh-2', '2026-12-01T06:00:00Z');
    const s2 = await storeSnapshot(test.db, {
      runId: 'refresh-2',
      cohortId: 'at-risk-paid',
      version: 1,
      asOf: '2026-12-01T06:00:00Z',
      customerIds: [...first.slice(1_000), ...later],
    });
    expect((await assign(s2, 'refresh-2')).rows[0]!.n).toBe(3_000);
    const existing = new Map([...stored1].map(([id, a]) => [id, a.arm]));
    const expected2 = planAssignments({ salt: SALT, allocation: v2, members: later, existing });
    const stored2 = await assignments();
    expect(expected2.assigned.filter((a) => stored2.get(a.customerId)?.arm !== a.arm)).toEqual([]);
    expect(
      first.filter((id) => stored2.get(id)?.arm !== stored1.get(id)?.arm || stored2.get(id)?.version !== 1),
    ).toEqual([]);
  });

  it("refuses to change a recorded assignment or an experiment's salt", async () => {
    await expect(test.db.query(`UPDATE experiment_assignments SET arm = 'holdout'`)).rejects.toThrow(
      'experiment_assignments: an assignment is never changed',
    );
    await expect(test.db.query(`UPDATE experiments SET salt = 'another-salt'`)).rejects.toThrow(
      'experiment winback-email: salt and cohort are fixed for its life',
    );
  });
});
