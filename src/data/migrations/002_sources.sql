-- Issue 3: four source kinds, identity resolution with late links, per-customer daily
-- rollups maintained by ingest, chunked resumable loads, and per-source quality history.

-- Events may arrive before the link that names their customer: they are stored with the
-- identifier they carry and attributed when the link arrives.
ALTER TABLE events DROP CONSTRAINT events_customer_id_fkey;
ALTER TABLE events ALTER COLUMN customer_id DROP NOT NULL;
ALTER TABLE events ADD COLUMN identity_scheme text, ADD COLUMN identity_value text;
CREATE INDEX events_unattributed_idx ON events (identity_scheme, identity_value) WHERE customer_id IS NULL;

ALTER TABLE identities DROP CONSTRAINT identities_customer_id_fkey;

-- "Identify" events say an anonymous id is a known user id, possibly before that user id is
-- linked to a customer; the alias turns into an identity once it is.
CREATE TABLE identity_aliases (
  alias_scheme  text NOT NULL,
  alias_value   text NOT NULL,
  scheme        text NOT NULL,
  value         text NOT NULL,
  PRIMARY KEY (alias_scheme, alias_value)
);
CREATE INDEX identity_aliases_target_idx ON identity_aliases (scheme, value);

ALTER TABLE customers
  ADD COLUMN consent_marketing boolean,
  ADD COLUMN crm_updated_at timestamptz;   -- the newest CRM record wins

-- Per customer, day and event type: what compute reads instead of rescanning raw events.
CREATE TABLE customer_daily (
  customer_id  text NOT NULL,
  day          date NOT NULL,               -- UTC day of the event time
  event_type   text NOT NULL,
  events       integer NOT NULL,
  value_sum    numeric NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, day, event_type)
);

-- How far a file got: a restarted ingest skips the rows already committed.
CREATE TABLE ingest_progress (
  source      text NOT NULL,
  file        text NOT NULL,
  sha256      text NOT NULL,
  rows_done   bigint NOT NULL,
  stored      bigint NOT NULL DEFAULT 0,
  duplicates  bigint NOT NULL DEFAULT 0,
  quarantined bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, file, sha256)
);

-- One row per source per ingest run: the history the volume check compares against.
CREATE TABLE source_ingests (
  run_id        text NOT NULL,
  source        text NOT NULL,
  rows_read     bigint NOT NULL,
  stored        bigint NOT NULL,
  duplicates    bigint NOT NULL,
  quarantined   bigint NOT NULL,
  null_keys     bigint NOT NULL,
  newest_event  timestamptz,
  checks        jsonb NOT NULL,
  at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, source)
);

ALTER TABLE quarantine ALTER COLUMN line TYPE bigint;

-- Query sources read rows past a cursor (e.g. the greatest updated_at already read).
CREATE TABLE source_cursors (
  source      text PRIMARY KEY,
  cursor      text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
