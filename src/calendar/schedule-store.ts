import type { Db, Queryable } from '../data/db';
import { appendAudit } from '../data/audit';
import type { FreezeWindow } from './freeze';

// The two things about schedules kept in Postgres: the newest slot each schedule ran (so a
// slot runs at most once) and the freeze windows people declare without editing the file.

/** The newest slot a run started for, or null for a schedule that never ran. */
export async function lastSlot(db: Queryable, scheduleId: string): Promise<{ slot: Date; runId: string } | null> {
  const r = await db.query<{ last_slot: Date; run_id: string }>(
    'SELECT last_slot, run_id FROM schedule_slots WHERE schedule_id = $1',
    [scheduleId],
  );
  const row = r.rows[0];
  return row ? { slot: row.last_slot, runId: row.run_id } : null;
}

/**
 * Claims `slot` for `runId` unless the schedule already has this slot or a newer one; true when
 * this run holds it (also when an earlier attempt of the same run claimed it). One statement,
 * so two runs for the same slot cannot both win.
 */
export async function claimSlot(db: Queryable, scheduleId: string, slot: Date, runId: string): Promise<boolean> {
  const r = await db.query<{ run_id: string; last_slot: Date }>(
    `INSERT INTO schedule_slots (schedule_id, last_slot, run_id) VALUES ($1, $2, $3)
     ON CONFLICT (schedule_id) DO UPDATE SET last_slot = EXCLUDED.last_slot, run_id = EXCLUDED.run_id, claimed_at = now()
       WHERE schedule_slots.last_slot < EXCLUDED.last_slot
     RETURNING run_id, last_slot`,
    [scheduleId, slot, runId],
  );
  if (r.rowCount) return true;
  const held = await lastSlot(db, scheduleId);
  return held?.runId === runId && held.slot.getTime() === slot.getTime();
}

export interface DeclaredFreeze {
  name: string;
  reason: string;
  onPublish: 'wait' | 'skip';
  start: Date;
  end: Date;
  declaredBy: string;
}

/** Records a freeze and its audit row in one transaction; a name already used is refused (false). */
export async function declareFreeze(db: Db, freeze: DeclaredFreeze): Promise<boolean> {
  return db.transaction(async (tx) => {
    const r = await tx.query(
      `INSERT INTO freeze_windows (name, reason, on_publish, starts_at, ends_at, declared_by)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING`,
      [freeze.name, freeze.reason, freeze.onPublish, freeze.start, freeze.end, freeze.declaredBy],
    );
    if (!r.rowCount) return false;
    await appendAudit(tx, {
      key: `freeze:${freeze.name}`,
      actor: freeze.declaredBy,
      action: 'schedules.freeze',
      details: {
        name: freeze.name,
        reason: freeze.reason,
        onPublish: freeze.onPublish,
        from: freeze.start.toISOString(),
        until: freeze.end.toISOString(),
      },
    });
    return true;
  });
}

/** Declared freezes that have not ended by `now` (uses freeze_windows_ends_idx). */
export async function declaredFreezes(db: Queryable, now: Date): Promise<DeclaredFreeze[]> {
  const r = await db.query<{
    name: string;
    reason: string;
    on_publish: 'wait' | 'skip';
    starts_at: Date;
    ends_at: Date;
    declared_by: string;
  }>('SELECT * FROM freeze_windows WHERE ends_at > $1 ORDER BY starts_at, name', [now]);
  return r.rows.map((row) => ({
    name: row.name,
    reason: row.reason,
    onPublish: row.on_publish,
    start: row.starts_at,
    end: row.ends_at,
    declaredBy: row.declared_by,
  }));
}

const utcMinute = (t: Date) => t.toISOString().slice(0, 16);

/** A declared freeze as a one-off window in UTC, so the file's freezes and these are judged together. */
export const asFreezeWindow = (f: DeclaredFreeze): FreezeWindow => ({
  name: f.name,
  reason: f.reason,
  timeZone: 'UTC',
  onPublish: f.onPublish,
  once: { from: utcMinute(f.start), until: utcMinute(f.end) },
});
