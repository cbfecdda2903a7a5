import { rebuildCustomerState } from '../../src/cohorts/customer-state';
import type { Db } from '../../src/data/db';

// Hand-built data for cohort specifications: customers with their CRM history, raw events, and
// the derived customer state rebuilt from them exactly as ingest keeps it.

export interface CustomerSpec {
  plan?: string | null;
  country?: string | null;
  lifecycle_stage?: string | null;
  signup_at?: Date | string | null;
  consent_marketing?: boolean | null;
  first_seen_at?: Date | string;
}

const LONG_AGO = '2025-01-01T00:00:00Z';

export async function addCustomer(db: Db, id: string, spec: CustomerSpec = {}): Promise<void> {
  const seen = spec.first_seen_at ?? LONG_AGO;
  await db.query(
    `INSERT INTO customers (customer_id, plan, country, lifecycle_stage, signup_at, consent_marketing, first_seen_at, updated_at, crm_updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)`,
    [
      id,
      spec.plan ?? null,
      spec.country ?? null,
      spec.lifecycle_stage ?? null,
      spec.signup_at ?? null,
      spec.consent_marketing ?? null,
      seen,
    ],
  );
  await db.query(
    `INSERT INTO crm_history (customer_id, updated_at, ingested_at, plan, country, lifecycle_stage, signup_at, consent_marketing) VALUES ($1, $2, $2, $3, $4, $5, $6, $7)`,
    [
      id,
      seen,
      spec.plan ?? null,
      spec.country ?? null,
      spec.lifecycle_stage ?? null,
      spec.signup_at ?? null,
      spec.consent_marketing ?? null,
    ],
  );
}

/** A later CRM record: the customers row takes it, as ingest's merge does; history keeps both. */
export async function changeCustomer(
  db: Db,
  id: string,
  at: { updatedAt: Date | string; ingestedAt: Date | string },
  spec: CustomerSpec,
): Promise<void> {
  await db.query(
    `INSERT INTO crm_history (customer_id, updated_at, ingested_at, plan, country, lifecycle_stage, signup_at, consent_marketing) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      id,
      at.updatedAt,
      at.ingestedAt,
      spec.plan ?? null,
      spec.country ?? null,
      spec.lifecycle_stage ?? null,
      spec.signup_at ?? null,
      spec.consent_marketing ?? null,
    ],
  );
  await db.query(
    `UPDATE customers SET plan = COALESCE($2, plan), country = COALESCE($3, country), lifecycle_stage = COALESCE($4, lifecycle_stage),
       signup_at = COALESCE($5, signup_at), consent_marketing = COALESCE($6, consent_marketing), crm_updated_at = $7 WHERE customer_id = $1`,
    [
      id,
      spec.plan ?? null,
      spec.country ?? null,
      spec.lifecycle_stage ?? null,
      spec.signup_at ?? null,
      spec.consent_marketing ?? null,
      at.updatedAt,
    ],
  );
}

let eventNo = 0;
export interface EventSpec {
  ingestedAt?: Date | string;
  value?: number;
  properties?: Record<string, unknown>;
}

/** A raw event (ingested when it happened unless told otherwise); call rebuildDerivedState after a batch. */
export async function addEvent(
  db: Db,
  customerId: string,
  type: string,
  occurredAt: Date | string,
  spec: EventSpec = {},
): Promise<void> {
  eventNo += 1;
  await db.query(
    `INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at, value, properties) VALUES ('spec', $1, $2, $3, $4, $5, $6, $7)`,
    [
      `evt_${eventNo}`,
      customerId,
      type,
      occurredAt,
      spec.ingestedAt ?? occurredAt,
      spec.value ?? null,
      JSON.stringify(spec.properties ?? {}),
    ],
  );
  await db.query('INSERT INTO event_types (event_type) VALUES ($1) ON CONFLICT DO NOTHING', [type]);
}

/**
 * The derived customer state from every row written above, as ingest maintains it incrementally
 * (test/integration/customer-state.test.ts checks that).
 */
export async function rebuildDerivedState(db: Db): Promise<void> {
  await rebuildCustomerState(db);
}
