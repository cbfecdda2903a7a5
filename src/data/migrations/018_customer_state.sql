-- Issue 14: compute reads one row per customer instead of the rollups, which were nearly as many
-- rows as the raw events (0.55 events per customer-day). customer_state holds each customer's
-- traits and, per registered feature (an event filter some measure reads), the days with a
-- matching event and running totals after each of them: a window is then two binary searches
-- and a subtraction. Maintained once per ingest from the rows stored since the last pass.

CREATE TABLE customer_state (
  customer_id        text PRIMARY KEY,
  customer_no        integer NOT NULL,
  first_seen_at      timestamptz NOT NULL,
  plan               text,
  country            text,
  lifecycle_stage    text,
  signup_at          timestamptz,
  consent_marketing  boolean
  -- per feature n: f<n>_d int[] (days since 1970-01-01, ascending), f<n>_n int[] (0, then the
  -- events up to each day), f<n>_v numeric[] (0, then the values up to each day; sums only)
);
-- Rows stay whole and uncompressed up to a page: a compressed array would be decompressed at
-- every reference.
ALTER TABLE customer_state SET (toast_tuple_target = 8160);

INSERT INTO customer_state (customer_id, customer_no, first_seen_at, plan, country, lifecycle_stage, signup_at, consent_marketing)
  SELECT customer_id, customer_no, first_seen_at, plan, country, lifecycle_stage, signup_at, consent_marketing
  FROM customers WHERE erased_at IS NULL;

-- The features kept, registered by the runs that need them and backfilled from the raw events.
CREATE TABLE state_features (
  feature_id  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key         text NOT NULL UNIQUE,          -- canonical JSON of the spec
  spec        jsonb NOT NULL,                -- { types: [..] | "activity", where: [[property, [values]]] }
  sums        boolean NOT NULL,              -- keeps value totals (USD for money)
  fx          text,                          -- for sums: the fx_rates they were converted with
  built_at    timestamptz                    -- null until backfilled
);

-- Traits are copied from customers as they are now, and no feature is kept yet: complete now.
UPDATE derived_state SET name = 'customer_state', complete_until = now() WHERE name = 'customer_daily';
DROP TABLE customer_daily;
DROP FUNCTION cohortflow_rollup_dims(jsonb);

-- A run's one pass now writes a membership flag per cohort; each cohort's column is named here.
ALTER TABLE measure_tables ADD COLUMN cohort_columns jsonb;
