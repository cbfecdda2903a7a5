import fixture from '../fixtures/reference/experiments.json';
import { type Allocation, armAt, assignmentBucket, planAssignments } from '../../src/experiments/assignment';
import { sampleRatioMismatch } from '../../src/experiments/statistics/sample-ratio';

const customers = (n: number, prefix = 'crm_') =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(6, '0')}`);
const tenNinety: Allocation = {
  version: 1,
  arms: [
    { arm: 'holdout', share: 0.1 },
    { arm: 'email', share: 0.9 },
  ],
};

describe('the assignment bucket', () => {
  it.each(fixture.assignment_buckets)(
    'is the first 52 bits of SHA-256("$salt:$customer_id") over 2^52, as Python computes it',
    ({ salt, customer_id, bucket }) => {
      expect(assignmentBucket(salt, customer_id)).toBe(bucket);
    },
  );

  it('spreads customers evenly over [0, 1)', () => {
    const deciles = new Array<number>(10).fill(0);
    for (const c of customers(50_000)) deciles[Math.floor(assignmentBucket('even-spread', c) * 10)]! += 1;
    const check = sampleRatioMismatch(
      Object.fromEntries(deciles.map((n, i) => [`d${i}`, n])),
      Object.fromEntries(deciles.map((_, i) => [`d${i}`, 0.1])),
    );
    expect(check.pValue).toBeGreaterThan(0.001);
  });

  it('gives a customer unrelated arms in two experiments with different salts', () => {
    const half: Allocation = {
      version: 1,
      arms: [
        { arm: 'a', share: 0.5 },
        { arm: 'b', share: 0.5 },
      ],
    };
    const ids = customers(20_000);
    const same = ids.filter(
      (c) => armAt(assignmentBucket('first-salt', c), half) === armAt(assignmentBucket('second-salt', c), half),
    );
    // Independent 50/50 splits agree for half the customers: 10,000 ± 4 × 71.
    expect(Math.abs(same.length - 10_000)).toBeLessThan(4 * Math.sqrt(20_000 * 0.25));
  });
});

describe('the arm of a bucket', () => {
  it.each([
    [0, 'holdout'],
    [0.0999999, 'holdout'],
    [0.1, 'email'],
    [0.999999999, 'email'],
  ])('lays the arms on [0, 1) in order: %s falls in %s', (bucket, arm) => {
    expect(armAt(bucket, tenNinety)).toBe(arm);
  });

  it('gives the top of the range to the last arm when the shares add up to a hair under 1', () => {
    const thirds: Allocation = { version: 1, arms: ['a', 'b', 'c'].map((arm) => ({ arm, share: 0.3333333333 })) };
    expect(armAt(0.99999999999, thirds)).toBe('c');
  });
});

describe('planning the assignments of a snapshot', () => {
  it('splits new members by the shares, and a second plan over the same snapshot assigns nobody', () => {
    const members = customers(20_000);
    const first = planAssignments({ salt: 'split-10-90', allocation: tenNinety, members, existing: new Map() });
    expect(first.assigned).toHaveLength(20_000);
    expect(sampleRatioMismatch(first.perArm, { holdout: 0.1, email: 0.9 }).mismatch).toBe(false);
    const existing = new Map(first.assigned.map((a) => [a.customerId, a.arm]));
    const again = planAssignments({ salt: 'split-10-90', allocation: tenNinety, members, existing });
    expect(again.assigned).toEqual([]);
    expect(again.kept).toBe(20_000);
    expect(again.perArm).toEqual(first.perArm);
  });

  it('keeps every existing member in its arm when the shares change, and gives new members the new shares', () => {
    const salt = 'reallocated-1';
    const before = customers(10_000, 'old_');
    const first = planAssignments({ salt, allocation: tenNinety, members: before, existing: new Map() });
    const existing = new Map(first.assigned.map((a) => [a.customerId, a.arm]));
    const shifted: Allocation = {
      version: 2,
      arms: [
        { arm: 'holdout', share: 0.1 },
        { arm: 'email', share: 0.6 },
        { arm: 'sms', share: 0.3 },
      ],
    };
    const newcomers = customers(10_000, 'new_');
    const second = planAssignments({ salt, allocation: shifted, members: [...before, ...newcomers], existing });
    expect(second.kept).toBe(10_000);
    expect(second.assigned.map((a) => a.customerId)).toEqual(newcomers);
    expect(second.assigned.every((a) => a.allocationVersion === 2)).toBe(true);
    const newPerArm = { holdout: 0, email: 0, sms: 0 } as Record<string, number>;
    for (const a of second.assigned) newPerArm[a.arm]! += 1;
    expect(sampleRatioMismatch(newPerArm, { holdout: 0.1, email: 0.6, sms: 0.3 }).mismatch).toBe(false);
    expect(second.perArm).toEqual({
      holdout: first.perArm.holdout! + newPerArm.holdout!,
      email: first.perArm.email! + newPerArm.email!,
      sms: newPerArm.sms,
    });
  });

  it('assigns a member listed twice once', () => {
    const plan = planAssignments({
      salt: 'dupes-123',
      allocation: tenNinety,
      members: ['c1', 'c1', 'c2'],
      existing: new Map(),
    });
    expect(plan.assigned.map((a) => a.customerId)).toEqual(['c1', 'c2']);
  });

  it('records the bucket and allocation version with each new assignment, so it can be re-derived', () => {
    const [a] = planAssignments({
      salt: 'Xk3v9QpL2m',
      allocation: tenNinety,
      members: ['crm_000042'],
      existing: new Map(),
    }).assigned;
    expect(a).toEqual({ customerId: 'crm_000042', arm: 'email', bucket: 0.5924808466206342, allocationVersion: 1 });
  });
});
