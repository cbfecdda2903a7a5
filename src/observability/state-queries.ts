import type { Queryable } from '../data/db';

// What /metrics reads from PostgreSQL on a scrape: small aggregate queries over tables that
// stay small (runs, per-run source reports, current pointers, open deliveries). None scans events.

export async function runsByOutcome(db: Queryable): Promise<Array<{ outcome: string; runs: number }>> {
  const r = await db.query<{ outcome: string; runs: number }>(
    `SELECT COALESCE(outcome, 'running') AS outcome, count(*)::int AS runs FROM runs GROUP BY 1`,
  );
  return r.rows;
}

/** Per source: every row read in every run, by what became of it; and the latest run's quarantine share. */
export async function ingestTotals(
  db: Queryable,
): Promise<
  Array<{ source: string; stored: number; duplicates: number; quarantined: number; lastQuarantineRatio: number }>
> {
  const r = await db.query<{
    source: string;
    stored: number;
    duplicates: number;
    quarantined: number;
    last_ratio: number;
  }>(
    `SELECT source, sum(stored)::float8 AS stored, sum(duplicates)::float8 AS duplicates, sum(quarantined)::float8 AS quarantined,
            (array_agg(CASE WHEN rows_read > 0 THEN quarantined::float8 / rows_read ELSE 0 END ORDER BY at DESC))[1] AS last_ratio
     FROM source_ingests GROUP BY source`,
  );
  return r.rows.map((x) => ({
    source: x.source,
    stored: x.stored,
    duplicates: x.duplicates,
    quarantined: x.quarantined,
    lastQuarantineRatio: x.last_ratio,
  }));
}

/** Each cohort's published size (a withdrawn cohort has no current snapshot and is absent). */
export async function publishedSizes(db: Queryable): Promise<Array<{ cohortId: string; size: number }>> {
  const r = await db.query<{ cohort_id: string; size: number }>(
    `SELECT cc.cohort_id, s.size FROM cohort_current cc JOIN cohort_snapshots s ON s.snapshot_id = cc.snapshot_id`,
  );
  return r.rows.map((x) => ({ cohortId: x.cohort_id, size: x.size }));
}

/**
 * Per destination: batches planned but not acknowledged, and how long the oldest open delivery
 * has waited (0 when none is open): the lag between publishing and the destination having it.
 */
export async function deliveryLag(
  db: Queryable,
): Promise<Array<{ destination: string; pendingBatches: number; lagSeconds: number }>> {
  const r = await db.query<{ destination: string; pending: number; lag: number }>(
    `SELECT d.destination,
            (SELECT count(*)::int FROM delivery_batches b WHERE b.destination = d.destination AND b.status = 'pending') AS pending,
            COALESCE(EXTRACT(EPOCH FROM now() - min(d.planned_at) FILTER (WHERE d.status = 'pending')), 0)::float8 AS lag
     FROM destination_deliveries d GROUP BY d.destination`,
  );
  return r.rows.map((x) => ({ destination: x.destination, pendingBatches: x.pending, lagSeconds: x.lag }));
}
