import type { Db, Queryable } from '../data/db';
import type { TierScope } from '../shared';

// One active refresh per tier: computing the whole catalog is the expensive part of a run, so a
// second refresh of a tier waits (or is refused) until the first has settled its outcome. The
// API claims a run's slots before it starts the run (answering 409 with the holder), and the run
// claims them again as its first step, which also covers schedules and queued starts.

export type SlotTier = 'tactical' | 'strategic';

export const slotTiersOf = (scope: TierScope): SlotTier[] => (scope === 'all' ? ['strategic', 'tactical'] : [scope]);

export type SlotClaim = { claimed: true } | { claimed: false; tier: SlotTier; heldBy: string };

/** A run the API claimed a slot for but that has not registered yet is given this long to start. */
const STARTING_GRACE_MS = 2 * 60_000;

/**
 * Claims every tier of the scope for the run, in one transaction, unless another active run
 * holds one: then nothing is claimed and the holder is named. A run holding its own slot claims
 * it again without change, so a retry is safe.
 */
export async function claimSlots(
  db: Db,
  input: { runId: string; scope: TierScope; isRunOpen?: (runId: string) => Promise<boolean> },
): Promise<SlotClaim> {
  const tiers = slotTiersOf(input.scope);
  return db.transaction(async (tx) => {
    await tx.query('INSERT INTO refresh_slots (tier, run_id) SELECT unnest($1::text[]), NULL ON CONFLICT DO NOTHING', [
      tiers,
    ]);
    const held = await tx.query<{ tier: SlotTier; run_id: string | null; claimed_at: Date }>(
      'SELECT tier, run_id, claimed_at FROM refresh_slots WHERE tier = ANY($1::text[]) ORDER BY tier FOR UPDATE',
      [tiers],
    );
    for (const slot of held.rows) {
      if (slot.run_id === null || slot.run_id === input.runId) continue;
      if (await isActive(tx, slot.run_id, slot.claimed_at, input.isRunOpen))
        return { claimed: false, tier: slot.tier, heldBy: slot.run_id };
    }
    await tx.query('UPDATE refresh_slots SET run_id = $2, claimed_at = now() WHERE tier = ANY($1::text[])', [
      tiers,
      input.runId,
    ]);
    return { claimed: true };
  });
}

/** Settled (an outcome recorded), ended without settling (terminated), or never started: not active. */
async function isActive(
  db: Queryable,
  runId: string,
  claimedAt: Date,
  isRunOpen: ((runId: string) => Promise<boolean>) | undefined,
): Promise<boolean> {
  const run = await db.query<{ outcome: string | null }>('SELECT outcome FROM runs WHERE run_id = $1', [runId]);
  if (run.rows[0]?.outcome) return false;
  if (!run.rows[0] && Date.now() - claimedAt.getTime() < STARTING_GRACE_MS) return true;
  return isRunOpen ? isRunOpen(runId) : true;
}

/** Frees the run's slots: its outcome is settled, or its start failed. */
export async function releaseSlots(db: Queryable, runId: string): Promise<void> {
  await db.query('UPDATE refresh_slots SET run_id = NULL WHERE run_id = $1', [runId]);
}
