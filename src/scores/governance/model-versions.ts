import type { Queryable } from '../../data/db';
import type { ModelKind } from '../../cohorts/score-measures';
import type { PropensityModel } from '../propensity/propensity-model';
import type { PurchasingModels } from '../purchasing/score-customers';

// Model versions, stored like definitions: every fit is a version with its training window,
// watermarks, parameters, metrics, author and rationale. A version is proposed; a run's approval
// gate makes it current (the one before it retired) or rejects it; runs score with current ones.

export type ModelStatus = 'proposed' | 'current' | 'retired' | 'rejected';

export type ModelParameters = PurchasingModels | PropensityModel;

export interface ScoreDrift {
  /** The version compared with: current when this one was fitted. */
  against: string;
  score: string;
  /** PSI of this version's scores against the current one's, same customers, same asOf, deciles of the current. */
  psi: number;
  customers: number;
}

export interface ModelVersion {
  modelId: string;
  kind: ModelKind;
  version: number;
  status: ModelStatus;
  asOf: string;
  trainingFrom: string;
  trainingUntil: string;
  watermarks: Record<string, string>;
  parameters: ModelParameters;
  metrics: Record<string, unknown>;
  promotable: boolean;
  promotionReason: string;
  drift: ScoreDrift | null;
  author: string;
  rationale: string;
  runId: string | null;
  createdAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

interface ModelRow {
  model_id: string;
  kind: ModelKind;
  version: number;
  status: ModelStatus;
  as_of: Date;
  training_from: Date;
  training_until: Date;
  watermarks: Record<string, string>;
  parameters: ModelParameters;
  metrics: Record<string, unknown>;
  promotable: boolean;
  promotion_reason: string;
  drift: ScoreDrift | null;
  author: string;
  rationale: string;
  run_id: string | null;
  created_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
}

const versionOf = (r: ModelRow): ModelVersion => ({
  modelId: r.model_id,
  kind: r.kind,
  version: r.version,
  status: r.status,
  asOf: r.as_of.toISOString(),
  trainingFrom: r.training_from.toISOString(),
  trainingUntil: r.training_until.toISOString(),
  watermarks: r.watermarks,
  parameters: r.parameters,
  metrics: r.metrics,
  promotable: r.promotable,
  promotionReason: r.promotion_reason,
  drift: r.drift,
  author: r.author,
  rationale: r.rationale,
  runId: r.run_id,
  createdAt: r.created_at.toISOString(),
  decidedBy: r.decided_by,
  decidedAt: r.decided_at?.toISOString() ?? null,
});

export async function listModelVersions(db: Queryable, kind?: ModelKind): Promise<ModelVersion[]> {
  const r = await db.query<ModelRow>(
    'SELECT * FROM model_versions WHERE ($1::text IS NULL OR kind = $1) ORDER BY kind, version DESC',
    [kind ?? null],
  );
  return r.rows.map(versionOf);
}

export async function modelVersion(db: Queryable, modelId: string): Promise<ModelVersion | undefined> {
  const r = await db.query<ModelRow>('SELECT * FROM model_versions WHERE model_id = $1', [modelId]);
  return r.rows[0] ? versionOf(r.rows[0]) : undefined;
}

export async function currentModels(db: Queryable): Promise<Map<ModelKind, ModelVersion>> {
  const r = await db.query<ModelRow>(`SELECT * FROM model_versions WHERE status = 'current'`);
  return new Map(r.rows.map((x) => [x.kind, versionOf(x)]));
}

export type NewModelVersion = Omit<
  ModelVersion,
  'modelId' | 'version' | 'status' | 'createdAt' | 'decidedBy' | 'decidedAt'
>;

/** Stores a fit as the next proposed version of its kind. */
export async function proposeModelVersion(db: Queryable, v: NewModelVersion): Promise<ModelVersion> {
  const r = await db.query<ModelRow>(
    `INSERT INTO model_versions (model_id, kind, version, as_of, training_from, training_until, watermarks, parameters,
                                 metrics, promotable, promotion_reason, drift, author, rationale, run_id)
     SELECT $1 || '-v' || n, $1, n, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
     FROM (SELECT COALESCE(max(version), 0) + 1 AS n FROM model_versions WHERE kind = $1) next
     RETURNING *`,
    [
      v.kind,
      v.asOf,
      v.trainingFrom,
      v.trainingUntil,
      JSON.stringify(v.watermarks),
      JSON.stringify(v.parameters),
      JSON.stringify(v.metrics),
      v.promotable,
      v.promotionReason,
      v.drift ? JSON.stringify(v.drift) : null,
      v.author,
      v.rationale,
      v.runId,
    ],
  );
  return versionOf(r.rows[0]!);
}

/** The proposed versions a run's gate decides: those it fitted and those an operator proposed before it. */
export async function claimProposals(db: Queryable, runId: string): Promise<ModelVersion[]> {
  await db.query(`UPDATE model_versions SET run_id = $1 WHERE status = 'proposed' AND run_id IS NULL`, [runId]);
  return runProposals(db, runId);
}

export async function runProposals(db: Queryable, runId: string): Promise<ModelVersion[]> {
  const r = await db.query<ModelRow>(
    `SELECT * FROM model_versions WHERE run_id = $1 AND status = 'proposed' ORDER BY kind, version`,
    [runId],
  );
  return r.rows.map(versionOf);
}

/**
 * The run's approval decides its proposals: approved, each promotable one becomes current (the
 * newest per kind; the one it replaces retired), the rest are rejected with the reason; a
 * rejected run rejects them all. A version below its promotion rule is never made current.
 */
export async function decideProposals(
  db: Queryable,
  input: { runId: string; approved: boolean; by: string; approvers?: readonly string[] },
): Promise<{ promoted: string[]; rejected: string[]; leftProposed: string[] }> {
  const proposals = await runProposals(db, input.runId);
  const promoted: string[] = [];
  const rejected: string[] = [];
  // Four eyes: a version is never approved by its own author; it waits for another run's gate.
  const own = proposals.filter((p) => input.approved && (input.approvers ?? []).includes(p.author));
  for (const p of own) await db.query('UPDATE model_versions SET run_id = NULL WHERE model_id = $1', [p.modelId]);
  const newest = new Map<ModelKind, ModelVersion>();
  for (const p of proposals) if (input.approved && p.promotable && !own.includes(p)) newest.set(p.kind, p);
  for (const p of proposals) {
    if (own.includes(p)) continue;
    if (newest.get(p.kind)?.modelId === p.modelId) {
      await db.query(`UPDATE model_versions SET status = 'retired' WHERE kind = $1 AND status = 'current'`, [p.kind]);
      await db.query(
        `UPDATE model_versions SET status = 'current', decided_by = $2, decided_at = now() WHERE model_id = $1 AND status = 'proposed'`,
        [p.modelId, input.by],
      );
      promoted.push(p.modelId);
    } else {
      await db.query(
        `UPDATE model_versions SET status = 'rejected', decided_by = $2, decided_at = now() WHERE model_id = $1 AND status = 'proposed'`,
        [p.modelId, input.by],
      );
      rejected.push(p.modelId);
    }
  }
  return { promoted, rejected, leftProposed: own.map((p) => p.modelId) };
}

/** Pins the current version of each kind a run reads (once: a retry keeps the first pins). */
export async function pinRunModels(db: Queryable, runId: string, kinds: readonly ModelKind[]): Promise<void> {
  if (kinds.length === 0) return;
  await db.query(
    `INSERT INTO run_models (run_id, kind, model_id)
     SELECT $1, kind, model_id FROM model_versions WHERE status = 'current' AND kind = ANY($2::text[])
     ON CONFLICT DO NOTHING`,
    [runId, kinds],
  );
}

export async function runModels(db: Queryable, runId: string): Promise<Map<ModelKind, ModelVersion>> {
  const r = await db.query<ModelRow>(
    `SELECT v.* FROM run_models rm JOIN model_versions v ON v.model_id = rm.model_id WHERE rm.run_id = $1`,
    [runId],
  );
  return new Map(r.rows.map((x) => [x.kind, versionOf(x)]));
}
