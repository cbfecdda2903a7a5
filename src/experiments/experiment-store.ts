import type { Db, Queryable } from '../data/db';
import { appendAudit } from '../data/audit';
import { type Allocation, initialAllocation } from './assignment';
import { ExperimentDefinition } from './experiment';

// Experiments as PostgreSQL keeps them (migration 020): the definition, its allocations (version
// 1 is the definition's own shares, each adaptive reallocation adds one) and the audit rows of
// every change. Assignments and reallocations are written at publish (publish-assignment.ts).

/** A create or stop that cannot be done as asked; the API answers 404 or 409 with the message. */
export class ExperimentRefused extends Error {
  constructor(
    readonly kind: 'not_found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'ExperimentRefused';
  }
}

export interface StoredExperiment {
  definition: ExperimentDefinition;
  status: 'running' | 'stopped';
  createdBy: string;
  rationale: string;
  createdAt: string;
  stoppedAt: string | null;
  stoppedBy: string | null;
  stopReason: string | null;
}

interface ExperimentRow {
  definition: unknown;
  status: 'running' | 'stopped';
  created_by: string;
  rationale: string;
  created_at: Date;
  stopped_at: Date | null;
  stopped_by: string | null;
  stop_reason: string | null;
}

const COLUMNS = 'definition, status, created_by, rationale, created_at, stopped_at, stopped_by, stop_reason';

const fromRow = (r: ExperimentRow): StoredExperiment => ({
  // Stored after validation; parsing again restores the defaults a reader relies on.
  definition: ExperimentDefinition.parse(r.definition),
  status: r.status,
  createdBy: r.created_by,
  rationale: r.rationale,
  createdAt: r.created_at.toISOString(),
  stoppedAt: r.stopped_at?.toISOString() ?? null,
  stoppedBy: r.stopped_by,
  stopReason: r.stop_reason,
});

/**
 * Records a validated experiment and its first allocation, audited, in one transaction. The
 * cohort must have a recorded definition, the id must be new, and the cohort may carry only one
 * running experiment (one experiment's holdout is never another's treatment).
 */
export async function createExperiment(
  db: Db,
  input: { definition: ExperimentDefinition; createdBy: string; rationale: string },
): Promise<StoredExperiment> {
  const e = input.definition;
  return db.transaction(async (tx) => {
    const cohort = await tx.query('SELECT 1 FROM cohort_definitions WHERE cohort_id = $1 LIMIT 1', [e.cohort]);
    if (!cohort.rowCount) throw new ExperimentRefused('not_found', `no cohort "${e.cohort}" has a recorded definition`);
    const taken = await tx.query('SELECT 1 FROM experiments WHERE experiment_id = $1', [e.id]);
    if (taken.rowCount) throw new ExperimentRefused('conflict', `an experiment "${e.id}" already exists`);
    const running = await tx.query<{ experiment_id: string }>(
      "SELECT experiment_id FROM experiments WHERE cohort_id = $1 AND status = 'running'",
      [e.cohort],
    );
    if (running.rows[0])
      throw new ExperimentRefused(
        'conflict',
        `cohort ${e.cohort} already carries the running experiment ${running.rows[0].experiment_id}; stop it first`,
      );
    const inserted = await tx.query<ExperimentRow>(
      `INSERT INTO experiments (experiment_id, cohort_id, definition, salt, created_by, rationale)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [e.id, e.cohort, e, e.salt, input.createdBy, input.rationale],
    );
    await insertAllocation(tx, e.id, initialAllocation(e), null);
    await appendAudit(tx, {
      key: `experiment:${e.id}:created`,
      actor: input.createdBy,
      action: 'experiment.created',
      // The salt stays out of the audit log: knowing it lets anyone predict every member's arm.
      details: {
        experimentId: e.id,
        cohortId: e.cohort,
        rationale: input.rationale,
        arms: e.arms.map((a) => ({ id: a.id, share: a.share, holdout: a.holdout })),
        kpi: e.kpi,
        adaptive: e.adaptive ?? null,
      },
    });
    return fromRow(inserted.rows[0]!);
  });
}

/**
 * The KPI's event type, when no event of that type was ever ingested: a typo would measure
 * nothing for the experiment's whole life. An installation that has ingested nothing yet has no
 * vocabulary to check against, and passes.
 */
export async function unknownKpiEvent(db: Queryable, e: ExperimentDefinition): Promise<string | null> {
  const event = e.kpi.kind === 'revenue' ? undefined : e.kpi.event;
  if (!event) return null;
  const known = await db.query<{ event_type: string }>('SELECT event_type FROM event_types ORDER BY event_type');
  if (known.rows.length === 0 || known.rows.some((r) => r.event_type === event)) return null;
  return `kpi.event: no "${event}" event has been ingested (known: ${known.rows.map((r) => r.event_type).join(', ')})`;
}

/** Stops a running experiment, audited: from the next publish on its holdout is delivered like everyone. */
export async function stopExperiment(
  db: Db,
  input: { experimentId: string; stoppedBy: string; reason: string },
): Promise<StoredExperiment> {
  return db.transaction(async (tx) => {
    const stopped = await tx.query<ExperimentRow>(
      `UPDATE experiments SET status = 'stopped', stopped_at = now(), stopped_by = $2, stop_reason = $3
       WHERE experiment_id = $1 AND status = 'running' RETURNING ${COLUMNS}`,
      [input.experimentId, input.stoppedBy, input.reason],
    );
    if (!stopped.rows[0]) {
      const known = await experimentById(tx, input.experimentId);
      if (!known) throw new ExperimentRefused('not_found', `no experiment "${input.experimentId}"`);
      throw new ExperimentRefused('conflict', `experiment ${input.experimentId} was already stopped`);
    }
    await appendAudit(tx, {
      key: `experiment:${input.experimentId}:stopped`,
      actor: input.stoppedBy,
      action: 'experiment.stopped',
      details: { experimentId: input.experimentId, reason: input.reason },
    });
    return fromRow(stopped.rows[0]);
  });
}

export async function experimentById(db: Queryable, id: string): Promise<StoredExperiment | null> {
  const r = await db.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments WHERE experiment_id = $1`, [id]);
  return r.rows[0] ? fromRow(r.rows[0]) : null;
}

export async function listExperiments(db: Queryable): Promise<StoredExperiment[]> {
  const r = await db.query<ExperimentRow>(`SELECT ${COLUMNS} FROM experiments ORDER BY created_at, experiment_id`);
  return r.rows.map(fromRow);
}

export async function runningExperimentOf(db: Queryable, cohortId: string): Promise<ExperimentDefinition | null> {
  const r = await db.query<{ definition: unknown }>(
    "SELECT definition FROM experiments WHERE cohort_id = $1 AND status = 'running'",
    [cohortId],
  );
  return r.rows[0] ? ExperimentDefinition.parse(r.rows[0].definition) : null;
}

export async function insertAllocation(
  db: Queryable,
  experimentId: string,
  a: Allocation,
  runId: string | null,
): Promise<void> {
  await db.query(
    'INSERT INTO experiment_allocations (experiment_id, version, arms, shares, run_id) VALUES ($1, $2, $3, $4, $5)',
    [experimentId, a.version, a.arms.map((x) => x.arm), a.arms.map((x) => x.share), runId],
  );
}

/** Every allocation of the experiment, oldest first. */
export async function allocationsOf(
  db: Queryable,
  experimentId: string,
): Promise<(Allocation & { runId: string | null; createdAt: string })[]> {
  const r = await db.query<{
    version: number;
    arms: string[];
    shares: number[];
    run_id: string | null;
    created_at: Date;
  }>(
    'SELECT version, arms, shares, run_id, created_at FROM experiment_allocations WHERE experiment_id = $1 ORDER BY version',
    [experimentId],
  );
  return r.rows.map((row) => ({
    version: row.version,
    arms: row.arms.map((arm, i) => ({ arm, share: row.shares[i]! })),
    runId: row.run_id,
    createdAt: row.created_at.toISOString(),
  }));
}
