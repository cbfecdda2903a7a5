-- Issue 6: per-destination delivery of published cohort versions (docs/destinations.md).

-- Where each destination stands per cohort: the last version it acknowledged in full. The next
-- delivery sends the difference from this version, so a destination that missed one catches up.
CREATE TABLE destination_cursors (
  destination      text NOT NULL,
  cohort_id        text NOT NULL,
  version          integer NOT NULL,
  snapshot_id      text REFERENCES cohort_snapshots (snapshot_id),  -- null: the cohort was withdrawn
  delivery_id      text NOT NULL,
  acknowledged_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (destination, cohort_id)
);

-- A destination that answered 410 Gone is skipped (with a warning) until someone re-enables it.
CREATE TABLE destination_state (
  destination  text PRIMARY KEY,
  disabled_at  timestamptz,
  reason       text
);

-- One delivery of one published version (or a reconcile) to one destination, planned once.
CREATE TABLE destination_deliveries (
  delivery_id    text PRIMARY KEY,
  cohort_id      text NOT NULL,
  version        integer NOT NULL,
  destination    text NOT NULL,
  run_id         text NOT NULL,
  label          text NOT NULL DEFAULT '',        -- '' or reconcile-<n>
  purpose        text NOT NULL,
  from_version   integer,                        -- NULL: a full load
  batches        integer NOT NULL,
  adds           integer NOT NULL,
  removes        integer NOT NULL,
  suppressed     integer NOT NULL,
  status         text NOT NULL CHECK (status IN ('pending', 'acknowledged')),
  planned_at     timestamptz NOT NULL DEFAULT now(),
  completed_at   timestamptz
);
CREATE INDEX destination_deliveries_run_idx ON destination_deliveries (run_id);
CREATE INDEX destination_deliveries_cohort_idx ON destination_deliveries (cohort_id, destination, version);

-- The delivery's adds and removes in send order; batches are ranges of seq. Fixed at planning so
-- a retry re-sends exactly the same batches under the same ids.
CREATE TABLE delivery_items (
  delivery_id  text NOT NULL REFERENCES destination_deliveries (delivery_id),
  seq          integer NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('add', 'remove')),
  customer_no  integer NOT NULL,
  PRIMARY KEY (delivery_id, seq)
);

-- Members held back from this destination (no consent for its purpose, or suppression list).
-- With the snapshot they give what the destination holds: members minus these.
CREATE TABLE delivery_suppressed (
  delivery_id  text NOT NULL REFERENCES destination_deliveries (delivery_id),
  customer_no  integer NOT NULL,
  PRIMARY KEY (delivery_id, customer_no)
);

-- Each batch is recorded before it is sent; id is the webhook-id the receiver dedupes on.
CREATE TABLE delivery_batches (
  delivery_id   text NOT NULL REFERENCES destination_deliveries (delivery_id),
  cohort_id     text NOT NULL,
  version       integer NOT NULL,
  destination   text NOT NULL,
  batch_no      integer NOT NULL,
  id            text NOT NULL UNIQUE,
  first_seq     integer NOT NULL,
  last_seq      integer NOT NULL,               -- first_seq - 1 when the batch is empty
  adds          integer NOT NULL,
  removes       integer NOT NULL,
  status        text NOT NULL CHECK (status IN ('pending', 'acknowledged')),
  attempts      integer NOT NULL DEFAULT 0,
  last_status   integer,
  last_error    text,
  delivered_at  timestamptz,
  PRIMARY KEY (delivery_id, batch_no)
);

-- Customers who must not receive anything for a purpose ('*': every purpose), by id or by the
-- sha256 of their trimmed, lower-cased email.
CREATE TABLE suppression_list (
  suppression_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id     text,
  email_sha256    text CHECK (email_sha256 ~ '^[0-9a-f]{64}$'),
  purpose         text NOT NULL,
  reason          text NOT NULL,
  added_at        timestamptz NOT NULL DEFAULT now(),
  CHECK (customer_id IS NOT NULL OR email_sha256 IS NOT NULL)
);
CREATE INDEX suppression_list_customer_idx ON suppression_list (customer_id);
CREATE INDEX suppression_list_email_idx ON suppression_list (email_sha256);

-- The SQL destination: each cohort's current published membership (minus suppressed members),
-- for downstream SQL to join. since = when the customer entered the current streak.
CREATE TABLE published_cohort_members (
  cohort_id    text NOT NULL,
  customer_id  text NOT NULL,
  version      integer NOT NULL,
  since        timestamptz NOT NULL,
  PRIMARY KEY (cohort_id, customer_id)
);
