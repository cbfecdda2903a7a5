-- Issue 18 part 2: shadow definitions. A proposed version of a cohort's definition runs beside
-- the live one for N refreshes: computed, baseline-tested and compared with the live snapshot of
-- the same run, never published. Shadow snapshots live in their own tables, so no foreign key of
-- cohort_current, published_versions or a delivery can ever point at one.

CREATE TABLE cohort_shadows (
  shadow_id         text PRIMARY KEY,                         -- shadow_<hex>
  cohort_id         text NOT NULL,
  proposed_yaml     text NOT NULL,                            -- as the analyst wrote it: what promote applies
  proposed          jsonb NOT NULL,                           -- the definition as parsed
  content_hash      text NOT NULL,
  live_version      integer,                                  -- the recorded live version when it started
  runs_planned      integer NOT NULL CHECK (runs_planned BETWEEN 1 AND 100),
  runs_remaining    integer NOT NULL CHECK (runs_remaining >= 0),
  status            text NOT NULL CHECK (status IN ('active', 'finished', 'stopped', 'promoted')),
  started_by        text NOT NULL,
  rationale         text NOT NULL,
  started_at        timestamptz NOT NULL DEFAULT now(),
  ended_by          text,
  end_reason        text,
  ended_at          timestamptz,
  promoted_version  integer,                                  -- the definition version promote recorded
  CHECK ((status = 'promoted') = (promoted_version IS NOT NULL))
);
-- One shadow at a time per cohort: a run compares one proposal with the live definition.
CREATE UNIQUE INDEX cohort_shadows_active_idx ON cohort_shadows (cohort_id) WHERE status = 'active';
CREATE INDEX cohort_shadows_cohort_idx ON cohort_shadows (cohort_id, started_at DESC);

-- Immutable like cohort_snapshots, one per (shadow, run); members in blocks the same way.
CREATE TABLE shadow_snapshots (
  snapshot_id   text PRIMARY KEY,                             -- shsnap_<hex> of (run, shadow)
  shadow_id     text NOT NULL REFERENCES cohort_shadows (shadow_id),
  run_id        text NOT NULL REFERENCES runs (run_id),
  cohort_id     text NOT NULL,
  as_of         timestamptz NOT NULL,
  size          integer NOT NULL,
  content_hash  text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (shadow_id, run_id)
);

CREATE TABLE shadow_snapshot_chunks (
  snapshot_id  text NOT NULL REFERENCES shadow_snapshots (snapshot_id),
  block        integer NOT NULL,                              -- customer_no >> 16
  members      integer[] NOT NULL,
  PRIMARY KEY (snapshot_id, block)
);

-- One row per refresh a shadow ran in: planned with the run's compute, then its figures. The
-- counts against the live snapshot of the same run are columns (the report's table); the
-- baseline checks and KPIs are in `report`.
CREATE TABLE shadow_runs (
  shadow_id           text NOT NULL REFERENCES cohort_shadows (shadow_id),
  run_id              text NOT NULL REFERENCES runs (run_id),
  planned_at          timestamptz NOT NULL DEFAULT now(),
  as_of               timestamptz,
  live_snapshot_id    text REFERENCES cohort_snapshots (snapshot_id),
  live_version        integer,
  shadow_snapshot_id  text REFERENCES shadow_snapshots (snapshot_id),
  live_size           integer,
  shadow_size         integer,
  overlap             integer,                                -- members in both
  adds                integer,                                -- in the shadow, not live
  removes             integer,                                -- live, not in the shadow
  jaccard             numeric,
  verdict             text CHECK (verdict IN ('pass', 'warn', 'fail')),
  live_verdict        text CHECK (live_verdict IN ('pass', 'warn', 'fail')),
  report              jsonb,                                  -- { checks, kpis }
  error               text,                                   -- why this run could not compute the shadow
  done_at             timestamptz,
  PRIMARY KEY (shadow_id, run_id)
);
CREATE INDEX shadow_runs_run_idx ON shadow_runs (run_id);
