import type { Queryable } from '../data/db';

/**
 * Marks a start proof used by one Temporal run; false when another run used it already. The
 * same run asking again (a retried activity) is let through, so a retry never refuses itself.
 */
export async function useStartProof(
  db: Queryable,
  use: { nonce: string; workflowId: string; temporalRunId: string },
): Promise<boolean> {
  await db.query(
    `INSERT INTO start_proof_uses (nonce, workflow_id, temporal_run_id) VALUES ($1, $2, $3) ON CONFLICT (nonce) DO NOTHING`,
    [use.nonce, use.workflowId, use.temporalRunId],
  );
  const r = await db.query<{ temporal_run_id: string }>(
    'SELECT temporal_run_id FROM start_proof_uses WHERE nonce = $1',
    [use.nonce],
  );
  return r.rows[0]?.temporal_run_id === use.temporalRunId;
}
