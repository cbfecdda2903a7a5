import crypto from 'node:crypto';
import { type ExperimentDefinition } from './experiment';

// Deterministic assignment. A member's bucket is a number in [0, 1) fixed by the experiment's
// salt and the customer id alone:
//
//   bucket = first 52 bits of SHA-256(salt ":" customerId), as an integer, ÷ 2^52
//
// 52 bits so the quotient is exact in a double (and in PostgreSQL: the same expression in SQL
// gives the same bucket, so assignment can run set-based beside the snapshot). The arms are laid
// on [0, 1) in the order the experiment lists them, each as wide as its share in the allocation
// in force, and a new member takes the arm its bucket falls in.
//
// The assignment store is the authority, not the hash: a member's first assignment is recorded
// with its time, the allocation version and the snapshot it came from, and is never rewritten.
// A member who leaves the cohort and comes back keeps it; when adaptive allocation changes the
// shares, members already assigned keep their arm and only new members see the new shares.

export const BUCKET_BITS = 52;
const BUCKET_SCALE = 2 ** BUCKET_BITS;

/** The arms' shares in force, in the experiment's arm order; version 1 is the experiment's own shares. */
export interface Allocation {
  version: number;
  arms: { arm: string; share: number }[];
}

export const initialAllocation = (e: ExperimentDefinition): Allocation => ({
  version: 1,
  arms: e.arms.map((a) => ({ arm: a.id, share: a.share })),
});

export function assignmentBucket(salt: string, customerId: string): number {
  const digest = crypto.createHash('sha256').update(`${salt}:${customerId}`, 'utf8').digest('hex');
  return parseInt(digest.slice(0, BUCKET_BITS / 4), 16) / BUCKET_SCALE;
}

/** The arm whose interval on [0, 1) holds `bucket`; the last arm takes any rounding at the top. */
export function armAt(bucket: number, allocation: Allocation): string {
  let upper = 0;
  for (const { arm, share } of allocation.arms) {
    upper += share;
    if (bucket < upper) return arm;
  }
  return allocation.arms[allocation.arms.length - 1]!.arm;
}

export interface NewAssignment {
  customerId: string;
  arm: string;
  bucket: number;
  allocationVersion: number;
}

export interface AssignmentPlan {
  /** Members of the snapshot without an assignment yet, now assigned. */
  assigned: NewAssignment[];
  /** Members of the snapshot who already had an arm and keep it. */
  kept: number;
  /** Members of the snapshot per arm after this plan (kept and new). */
  perArm: Record<string, number>;
}

/**
 * Assigns the snapshot's members who have no arm yet under `allocation`; everyone already in
 * `existing` (customer id → arm) keeps theirs. Running it twice over the same snapshot assigns
 * nobody the second time. This is the specification the SQL implementation is checked against.
 */
export function planAssignments(input: {
  salt: string;
  allocation: Allocation;
  members: Iterable<string>;
  existing: ReadonlyMap<string, string>;
}): AssignmentPlan {
  const perArm: Record<string, number> = Object.fromEntries(input.allocation.arms.map((a) => [a.arm, 0]));
  const assigned: NewAssignment[] = [];
  let kept = 0;
  const seen = new Set<string>();
  for (const customerId of input.members) {
    if (seen.has(customerId)) continue;
    seen.add(customerId);
    const previous = input.existing.get(customerId);
    if (previous !== undefined) {
      kept += 1;
      perArm[previous] = (perArm[previous] ?? 0) + 1;
      continue;
    }
    const bucket = assignmentBucket(input.salt, customerId);
    const arm = armAt(bucket, input.allocation);
    assigned.push({ customerId, arm, bucket, allocationVersion: input.allocation.version });
    perArm[arm]! += 1;
  }
  return { assigned, kept, perArm };
}
