import type { Queryable } from '../data/db';
import type { CheckResult, ShadowEvidence, Verdict } from '../shared';
import type { ShadowKpis } from './shadow-kpis';
import { shadowOf, type ShadowRecord } from './shadow-store';

// What a shadow did, refresh by refresh: the report people read before promoting it, and the
// evidence approvers read when the promoted version reaches the gate.

export interface ShadowRunReport {
  runId: string;
  asOf: string | null;
  liveVersion: number | null;
  liveSnapshotId: string | null;
  shadowSnapshotId: string | null;
  liveSize: number | null;
  shadowSize: number | null;
  overlap: number | null;
  adds: number | null;
  removes: number | null;
  jaccard: number | null;
  verdict: Verdict | null;
  liveVerdict: Verdict | null;
  checks: CheckResult[];
  kpis: ShadowKpis | null;
  error: string | null;
  doneAt: string | null;
}

export interface ShadowReport {
  shadow: Omit<ShadowRecord, 'proposed'>;
  /** Oldest first: the size trend reads left to right. */
  runs: ShadowRunReport[];
}

interface RunRow {
  run_id: string;
  as_of: Date | null;
  live_version: number | null;
  live_snapshot_id: string | null;
  shadow_snapshot_id: string | null;
  live_size: number | null;
  shadow_size: number | null;
  overlap: number | null;
  adds: number | null;
  removes: number | null;
  jaccard: number | null;
  verdict: Verdict | null;
  live_verdict: Verdict | null;
  report: { checks: CheckResult[]; kpis: ShadowKpis } | null;
  error: string | null;
  done_at: Date | null;
}

const runOf = (x: RunRow): ShadowRunReport => ({
  runId: x.run_id,
  asOf: x.as_of?.toISOString() ?? null,
  liveVersion: x.live_version,
  liveSnapshotId: x.live_snapshot_id,
  shadowSnapshotId: x.shadow_snapshot_id,
  liveSize: x.live_size,
  shadowSize: x.shadow_size,
  overlap: x.overlap,
  adds: x.adds,
  removes: x.removes,
  jaccard: x.jaccard,
  verdict: x.verdict,
  liveVerdict: x.live_verdict,
  checks: x.report?.checks ?? [],
  kpis: x.report?.kpis ?? null,
  error: x.error,
  doneAt: x.done_at?.toISOString() ?? null,
});

async function runsOf(db: Queryable, shadowId: string): Promise<ShadowRunReport[]> {
  const r = await db.query<RunRow>('SELECT * FROM shadow_runs WHERE shadow_id = $1 ORDER BY planned_at, run_id', [
    shadowId,
  ]);
  return r.rows.map(runOf);
}

export async function shadowReport(db: Queryable, cohortId: string, shadowId?: string): Promise<ShadowReport> {
  const { proposed: _proposed, ...shadow } = await shadowOf(db, cohortId, shadowId);
  return { shadow, runs: await runsOf(db, shadow.shadowId) };
}

/**
 * The shadows promoted into definition versions in (fromVersion, toVersion]: attached to the
 * definition_change check, so the people at the gate see how the new rule behaved beside the old.
 */
export async function promotedShadows(
  db: Queryable,
  cohortId: string,
  fromVersion: number,
  toVersion: number,
): Promise<ShadowEvidence[]> {
  const r = await db.query<{ shadow_id: string; promoted_version: number; started_by: string; ended_by: string }>(
    `SELECT shadow_id, promoted_version, started_by, ended_by FROM cohort_shadows
     WHERE cohort_id = $1 AND status = 'promoted' AND promoted_version > $2 AND promoted_version <= $3
     ORDER BY promoted_version`,
    [cohortId, fromVersion, toVersion],
  );
  const evidence: ShadowEvidence[] = [];
  for (const s of r.rows) {
    const runs = (await runsOf(db, s.shadow_id)).filter((x) => x.doneAt !== null);
    evidence.push({
      shadowId: s.shadow_id,
      version: s.promoted_version,
      proposedBy: s.started_by,
      promotedBy: s.ended_by,
      runs: runs.map((x) => ({
        runId: x.runId,
        asOf: x.asOf,
        liveSize: x.liveSize,
        shadowSize: x.shadowSize,
        overlap: x.overlap,
        adds: x.adds,
        removes: x.removes,
        jaccard: x.jaccard,
        verdict: x.verdict,
        liveVerdict: x.liveVerdict,
        error: x.error,
      })),
    });
  }
  return evidence;
}

/** One line for the check's reason: what the shadow showed, so the gate's list says it without opening the report. */
export function shadowSentence(e: ShadowEvidence): string {
  const ran = e.runs.filter((r) => r.shadowSize !== null);
  if (ran.length === 0) return `promoted from shadow ${e.shadowId} (no run with figures)`;
  const last = ran.at(-1)!;
  const jaccards = ran.map((r) => r.jaccard ?? 0);
  const [low, high] = [Math.min(...jaccards), Math.max(...jaccards)];
  const range = `Jaccard with live ${low === high ? low : `${low}–${high}`}`;
  const sizes = ran.map((r) => r.shadowSize).join(' → ');
  return `promoted from shadow ${e.shadowId} after ${ran.length} shadow run(s): ${range}, sizes ${sizes}; last run +${last.adds} / −${last.removes} vs live, shadow verdict ${last.verdict}`;
}
