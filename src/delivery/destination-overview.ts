import type { Queryable } from '../data/db';

// Where every destination stands, cohort by cohort: the version it acknowledged (its cursor)
// against the cohort's current published version, what is still pending, how many members its
// last delivery held back, and whether it is disabled. What ops look at before a reconcile.

export interface DestinationCohort {
  cohortId: string;
  publishedVersion: number | null;
  cursor: { version: number; acknowledgedAt: string } | null;
  /** The cursor is behind the published version, or a delivery is unfinished. */
  behind: boolean;
  pendingDeliveries: number;
  pendingBatches: number;
  failedAttempts: number;
  lastError: string | null;
  lastDelivery: { version: number; label: string; status: string; plannedAt: string; heldBack: number } | null;
}

export interface DestinationOverview {
  name: string;
  kind: string | null;
  purpose: string | null;
  /** Configured in this process (else only seen in past deliveries). */
  configured: boolean;
  disabled: { at: string; reason: string | null } | null;
  cohorts: DestinationCohort[];
}

interface Row {
  destination: string;
  cohort_id: string;
  published_version: number | null;
  cursor_version: number | null;
  acknowledged_at: Date | null;
  pending_deliveries: number;
  pending_batches: number;
  failed_attempts: number;
  last_error: string | null;
  last_version: number | null;
  last_label: string | null;
  last_status: string | null;
  last_planned_at: Date | null;
  last_held_back: number | null;
}

/** Every destination configured or ever delivered to, with each cohort it received or should receive. */
export async function destinationOverview(
  db: Queryable,
  configured: Array<{ name: string; kind: string; purpose: string }>,
): Promise<DestinationOverview[]> {
  const rows = await db.query<Row>(
    `WITH pairs AS (SELECT DISTINCT destination, cohort_id FROM destination_deliveries),
     latest AS (
       SELECT DISTINCT ON (destination, cohort_id) destination, cohort_id, version, label, status, planned_at, suppressed
       FROM destination_deliveries ORDER BY destination, cohort_id, planned_at DESC, version DESC)
     SELECT p.destination, p.cohort_id,
            (SELECT max(version) FROM published_versions v WHERE v.cohort_id = p.cohort_id) AS published_version,
            c.version AS cursor_version, c.acknowledged_at,
            (SELECT count(*)::int FROM destination_deliveries d WHERE d.destination = p.destination AND d.cohort_id = p.cohort_id AND d.status = 'pending') AS pending_deliveries,
            (SELECT count(*)::int FROM delivery_batches b WHERE b.destination = p.destination AND b.cohort_id = p.cohort_id AND b.status = 'pending') AS pending_batches,
            (SELECT COALESCE(sum(b.attempts), 0)::int FROM delivery_batches b WHERE b.destination = p.destination AND b.cohort_id = p.cohort_id AND b.status = 'pending') AS failed_attempts,
            (SELECT b.last_error FROM delivery_batches b WHERE b.destination = p.destination AND b.cohort_id = p.cohort_id AND b.status = 'pending' AND b.last_error IS NOT NULL ORDER BY b.version DESC, b.batch_no LIMIT 1) AS last_error,
            l.version AS last_version, l.label AS last_label, l.status AS last_status, l.planned_at AS last_planned_at, l.suppressed AS last_held_back
     FROM pairs p
     LEFT JOIN destination_cursors c ON c.destination = p.destination AND c.cohort_id = p.cohort_id
     LEFT JOIN latest l ON l.destination = p.destination AND l.cohort_id = p.cohort_id
     ORDER BY p.destination, p.cohort_id`,
  );
  const disabled = await db.query<{ destination: string; disabled_at: Date; reason: string | null }>(
    'SELECT destination, disabled_at, reason FROM destination_state WHERE disabled_at IS NOT NULL',
  );
  const names = [
    ...new Set([
      ...configured.map((d) => d.name),
      ...rows.rows.map((r) => r.destination),
      ...disabled.rows.map((d) => d.destination),
    ]),
  ].sort();
  return names.map((name) => {
    const config = configured.find((d) => d.name === name);
    const off = disabled.rows.find((d) => d.destination === name);
    return {
      name,
      kind: config?.kind ?? null,
      purpose: config?.purpose ?? null,
      configured: config !== undefined,
      disabled: off ? { at: off.disabled_at.toISOString(), reason: off.reason } : null,
      cohorts: rows.rows
        .filter((r) => r.destination === name)
        .map((r) => ({
          cohortId: r.cohort_id,
          publishedVersion: r.published_version,
          cursor:
            r.cursor_version !== null && r.acknowledged_at
              ? { version: r.cursor_version, acknowledgedAt: r.acknowledged_at.toISOString() }
              : null,
          behind:
            r.pending_deliveries > 0 || (r.published_version !== null && (r.cursor_version ?? 0) < r.published_version),
          pendingDeliveries: r.pending_deliveries,
          pendingBatches: r.pending_batches,
          failedAttempts: r.failed_attempts,
          lastError: r.last_error,
          lastDelivery:
            r.last_version !== null && r.last_planned_at
              ? {
                  version: r.last_version,
                  label: r.last_label ?? '',
                  status: r.last_status ?? 'pending',
                  plannedAt: r.last_planned_at.toISOString(),
                  heldBack: r.last_held_back ?? 0,
                }
              : null,
        })),
    };
  });
}
