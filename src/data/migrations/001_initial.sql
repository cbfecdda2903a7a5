-- The walking skeleton's schema: sources land in customers/events, cohorts become immutable
-- snapshots, publishing moves a pointer, and every decision is audited.

CREATE TABLE customers (
  customer_id      text PRIMARY KEY,
  email            text,
  plan             text,
  country          text,
  lifecycle_stage  text,
  signup_at        timestamptz,
  first_seen_at    timestamptz NOT NULL,   -- ingestion time of the first row naming the customer
  updated_at       timestamptz NOT NULL
);

-- Every identifier a source uses, mapped to the one canonical customer id.
CREATE TABLE identities (
  scheme       text NOT NULL,              -- customer_id | email
  external_id  text NOT NULL,
  customer_id  text NOT NULL REFERENCES customers (customer_id),
  PRIMARY KEY (scheme, external_id)
);

CREATE TABLE events (
  source       text NOT NULL,
  event_id     text NOT NULL,
  customer_id  text NOT NULL REFERENCES customers (customer_id),
  event_type   text NOT NULL,
  occurred_at  timestamptz NOT NULL,       -- event time, UTC
  ingested_at  timestamptz NOT NULL,       -- when cohortflow stored it (point-in-time reads)
  value        numeric,
  properties   jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (source, event_id)          -- exact duplicates are dropped on this key
);
CREATE INDEX events_customer_type_time_idx ON events (customer_id, event_type, occurred_at);

CREATE TABLE quarantine (
  id           bigserial PRIMARY KEY,
  run_id       text NOT NULL,
  source       text NOT NULL,
  file         text NOT NULL,
  line         integer NOT NULL,
  raw          text NOT NULL,
  reason       text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- A file is ingested once: the same name with the same content is a no-op next time.
CREATE TABLE ingested_files (
  source       text NOT NULL,
  file         text NOT NULL,
  sha256       text NOT NULL,
  run_id       text NOT NULL,
  rows_read    integer NOT NULL,
  ingested_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, file, sha256)
);

CREATE TABLE source_watermarks (
  source       text PRIMARY KEY,
  watermark    timestamptz NOT NULL,       -- newest event time stored so far
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cohort_definitions (
  cohort_id     text NOT NULL,
  version       integer NOT NULL,
  content_hash  text NOT NULL,
  definition    jsonb NOT NULL,
  tier          text NOT NULL,
  author        text NOT NULL,
  rationale     text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cohort_id, version),
  UNIQUE (cohort_id, content_hash)
);

CREATE TABLE runs (
  run_id        text PRIMARY KEY,          -- the workflow id
  cadence       text NOT NULL,
  tier          text NOT NULL,
  requested_by  text NOT NULL,
  rationale     text NOT NULL,
  as_of         timestamptz,               -- fixed once ingest is done (see refresh-cycle.ts)
  started_at    timestamptz NOT NULL DEFAULT now(),
  outcome       text
);

-- Immutable once written; one per (run, cohort) so a retried compute finds its own result.
CREATE TABLE cohort_snapshots (
  snapshot_id         text PRIMARY KEY,
  run_id              text NOT NULL REFERENCES runs (run_id),
  cohort_id           text NOT NULL,
  definition_version  integer NOT NULL,
  as_of               timestamptz NOT NULL,
  source_watermarks   jsonb NOT NULL,
  size                integer NOT NULL,
  content_hash        text NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, cohort_id),
  FOREIGN KEY (cohort_id, definition_version) REFERENCES cohort_definitions (cohort_id, version)
);

CREATE TABLE snapshot_members (
  snapshot_id  text NOT NULL REFERENCES cohort_snapshots (snapshot_id),
  customer_id  text NOT NULL,
  PRIMARY KEY (snapshot_id, customer_id)
);

CREATE TABLE baseline_reports (
  run_id       text NOT NULL,
  cohort_id    text NOT NULL,
  snapshot_id  text NOT NULL REFERENCES cohort_snapshots (snapshot_id),
  verdict      text NOT NULL CHECK (verdict IN ('pass', 'warn', 'fail')),
  checks       jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, cohort_id)
);

-- What is published now; moved for all cohorts of a run in one transaction.
CREATE TABLE cohort_current (
  cohort_id     text PRIMARY KEY,
  snapshot_id   text NOT NULL REFERENCES cohort_snapshots (snapshot_id),
  run_id        text NOT NULL,
  published_at  timestamptz NOT NULL
);

CREATE TABLE published_versions (
  cohort_id              text NOT NULL,
  version                integer NOT NULL,
  snapshot_id            text NOT NULL REFERENCES cohort_snapshots (snapshot_id),
  previous_snapshot_id   text REFERENCES cohort_snapshots (snapshot_id),
  run_id                 text NOT NULL,
  approved_by            text NOT NULL,
  published_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cohort_id, version),
  UNIQUE (run_id, cohort_id)
);

-- One row per delivery; its key makes a retried activity skip what was already delivered.
CREATE TABLE deliveries (
  idempotency_key  text PRIMARY KEY,
  run_id           text NOT NULL,
  cohort_id        text NOT NULL,
  destination      text NOT NULL,
  adds             integer NOT NULL,
  removes          integer NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'delivered')),
  attempts         integer NOT NULL DEFAULT 0,
  last_status      integer,
  delivered_at     timestamptz
);

CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  key         text UNIQUE,                -- the activity execution that wrote it (dedupes retries)
  at          timestamptz NOT NULL DEFAULT now(),
  run_id      text,
  actor       text NOT NULL,
  action      text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_run_idx ON audit_log (run_id);
