-- Issue 5: the baseline tests' full report per (run, cohort), the data-source verdicts of the
-- run, and each snapshot's attribute profile (src/baseline).

-- The report's header; `checks` holds every check with its figures, thresholds and details.
ALTER TABLE baseline_reports
  ADD COLUMN tier text,
  ADD COLUMN compared_to_snapshot_id text REFERENCES cohort_snapshots (snapshot_id),
  ADD COLUMN compared_to_version integer,
  ADD COLUMN baseline_snapshots integer NOT NULL DEFAULT 0,   -- published snapshots in the trailing baseline
  ADD COLUMN changed_by text[] NOT NULL DEFAULT '{}';         -- authors since the published version (four eyes)

-- Per run, not per cohort: what ingest found in each source, as the workflow passed it on.
CREATE TABLE run_source_reports (
  run_id       text NOT NULL,
  source       text NOT NULL,
  kind         text NOT NULL,
  verdict      text NOT NULL CHECK (verdict IN ('pass', 'warn', 'fail')),
  report       jsonb NOT NULL,                                -- the SourceReport: counts and checks
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, source)
);

-- A snapshot's members spread over the key attributes, and their value, at its own asOf.
-- Computed once per snapshot; profile_version says which bucketing made it (src/baseline/profile.ts).
CREATE TABLE snapshot_profiles (
  snapshot_id      text PRIMARY KEY REFERENCES cohort_snapshots (snapshot_id),
  profile_version  integer NOT NULL,
  as_of            timestamptz NOT NULL,
  members          integer NOT NULL,
  value_measure    text NOT NULL,                             -- what the value figures are, in words
  value_mean       numeric,
  value_median     numeric,
  value_p25        numeric,
  value_p75        numeric,
  value_min        numeric,
  value_max        numeric,
  computed_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE snapshot_profile_buckets (
  snapshot_id  text NOT NULL REFERENCES snapshot_profiles (snapshot_id) ON DELETE CASCADE,
  attribute    text NOT NULL CHECK (attribute IN ('plan', 'country', 'lifecycle_stage', 'tenure', 'rfm')),
  bucket       text NOT NULL,
  members      integer NOT NULL,
  PRIMARY KEY (snapshot_id, attribute, bucket)
);

-- Members two snapshots share, counted block by block: both sides of a block are sorted arrays of
-- at most 65,536 numbers, joined by hash; no member list leaves the server. 0 when either is null.
-- Churn (src/baseline) and the cohort history (src/governance) both count adds/removes with it.
CREATE FUNCTION cohortflow_shared_members(a text, b text) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT COALESCE(sum(o.common), 0)::int
  FROM snapshot_chunks x JOIN snapshot_chunks y ON y.snapshot_id = b AND y.block = x.block
  CROSS JOIN LATERAL (SELECT count(*) AS common FROM unnest(x.members) AS m (n) JOIN unnest(y.members) AS k (n) ON k.n = m.n) o
  WHERE x.snapshot_id = a
$$;
