-- Issue 4: what the cohort engine reads and writes (docs/cohorts.md).

-- The few low-cardinality properties a rule may filter on, kept in the rollups so a filtered
-- condition never rescans raw events. One function, used by ingest and by compute alike; SQL
-- functions this simple are inlined by the planner.
CREATE FUNCTION cohortflow_rollup_dims(properties jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT jsonb_strip_nulls(jsonb_build_object(
    'currency', properties->'currency', 'feature', properties->'feature', 'format', properties->'format',
    'method', properties->'method', 'page', properties->'page', 'priority', properties->'priority')) $$;

ALTER TABLE customer_daily DROP CONSTRAINT customer_daily_pkey;
TRUNCATE customer_daily;
ALTER TABLE customer_daily ADD COLUMN dims jsonb NOT NULL DEFAULT '{}';
INSERT INTO customer_daily (day, customer_id, event_type, dims, events, value_sum)
  SELECT (occurred_at AT TIME ZONE 'UTC')::date, customer_id, event_type, cohortflow_rollup_dims(properties), count(*), COALESCE(sum(value), 0)
  FROM events WHERE customer_id IS NOT NULL GROUP BY 1, 2, 3, 4;
ALTER TABLE customer_daily ADD PRIMARY KEY (day, customer_id, event_type, dims);

-- The event vocabulary seen so far: a rule naming a type outside it is refused with a hint.
CREATE TABLE event_types (
  event_type     text PRIMARY KEY,
  first_seen_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO event_types (event_type) SELECT DISTINCT event_type FROM events;

-- Every CRM record, so traits can be read as they were at any asOf (customers holds the latest).
CREATE TABLE crm_history (
  customer_id        text NOT NULL,
  updated_at         timestamptz NOT NULL,    -- the record's own time
  ingested_at        timestamptz NOT NULL DEFAULT now(),
  plan               text,
  country            text,
  lifecycle_stage    text,
  signup_at          timestamptz,
  consent_marketing  boolean,
  PRIMARY KEY (customer_id, updated_at)
);
-- Compute reads customers (the latest records) unless a record is newer than asOf: these find one.
CREATE INDEX crm_history_ingested_idx ON crm_history (ingested_at);
CREATE INDEX crm_history_updated_idx ON crm_history (updated_at);
INSERT INTO crm_history (customer_id, updated_at, ingested_at, plan, country, lifecycle_stage, signup_at, consent_marketing)
  SELECT customer_id, COALESCE(crm_updated_at, updated_at), updated_at, plan, country, lifecycle_stage, signup_at, consent_marketing FROM customers;

-- A dense number per customer: snapshots store sorted arrays of these instead of one row per member.
ALTER TABLE customers ADD COLUMN customer_no integer GENERATED ALWAYS AS IDENTITY;
ALTER TABLE customers ADD CONSTRAINT customers_customer_no_key UNIQUE (customer_no);

-- Membership: one row per snapshot and block of 65,536 customer numbers, members sorted. A 1M-
-- customer cohort is 16 rows and ~4 MB; diffs compare arrays block by block.
CREATE TABLE snapshot_chunks (
  snapshot_id  text NOT NULL REFERENCES cohort_snapshots (snapshot_id),
  block        integer NOT NULL,              -- customer_no >> 16
  members      integer[] NOT NULL,
  PRIMARY KEY (snapshot_id, block)
);
INSERT INTO snapshot_chunks (snapshot_id, block, members)
  SELECT m.snapshot_id, c.customer_no >> 16, array_agg(c.customer_no ORDER BY c.customer_no)
  FROM snapshot_members m JOIN customers c USING (customer_id) GROUP BY 1, 2;
DROP TABLE snapshot_members;
-- Readers that want customer ids keep their old shape.
CREATE VIEW snapshot_members AS
  SELECT s.snapshot_id, c.customer_id, c.customer_no
  FROM snapshot_chunks s CROSS JOIN LATERAL unnest(s.members) AS n (customer_no)
  JOIN customers c ON c.customer_no = n.customer_no;

-- Money in one reporting currency (USD) for monetary measures; edit the rates to your own.
CREATE TABLE fx_rates (
  currency    text PRIMARY KEY,
  per_usd     numeric NOT NULL CHECK (per_usd > 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO fx_rates (currency, per_usd) VALUES
  ('USD', 1), ('CAD', 1.37), ('BRL', 5.4), ('GBP', 0.79), ('EUR', 0.92), ('INR', 84), ('JPY', 150), ('AUD', 1.52);

-- Definitions: every change is a version, including deprecation and deletion (a tombstone); the
-- same content may come back later as a new version.
ALTER TABLE cohort_definitions DROP CONSTRAINT cohort_definitions_cohort_id_content_hash_key;
ALTER TABLE cohort_definitions ADD COLUMN change text NOT NULL DEFAULT 'update'
  CHECK (change IN ('create', 'update', 'deprecate', 'delete'));

-- The per-run measures tables compute builds and drops (compute.ts); listed so none is forgotten.
CREATE TABLE measure_tables (
  table_name  text PRIMARY KEY,
  run_id      text NOT NULL,
  as_of       timestamptz NOT NULL,
  rows        bigint,
  measures    integer,                      -- measure columns, for the run's log
  built_at    timestamptz
);

-- What a run computes: the definition version of every cohort, fixed once by planning so a
-- retried activity computes exactly what was planned. scope 'reference': read by in_cohort only.
CREATE TABLE run_cohorts (
  run_id              text NOT NULL,
  cohort_id           text NOT NULL,
  definition_version  integer NOT NULL,
  scope               text NOT NULL CHECK (scope IN ('publish', 'reference')),
  depends_on          text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, cohort_id),
  FOREIGN KEY (cohort_id, definition_version) REFERENCES cohort_definitions (cohort_id, version)
);
