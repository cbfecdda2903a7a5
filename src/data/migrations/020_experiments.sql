-- Experiments and holdouts: a cohort's members split into arms by a fixed hash, assigned at
-- publish (in the publish transaction, beside the pointer move), holdout members held back from
-- activation destinations, analysis destinations told each member's arm.

-- The first 52 bits of SHA-256(salt ':' customer_id) over 2^52: a number in [0, 1), exact in a
-- double, identical to assignmentBucket() so assignment can run set-based next to a snapshot.
CREATE FUNCTION experiment_bucket(salt text, customer_id text) RETURNS double precision
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT ('x' || left(encode(sha256(convert_to(salt || ':' || customer_id, 'UTF8')), 'hex'), 13))::bit(52)::bigint
         / 4503599627370496.0::double precision
$$;

-- Where each arm's interval starts on [0, 1): 0, s1, s1 + s2, …, summed in arm order like
-- armAt() sums them, so both sides draw the same borders to the last bit.
CREATE FUNCTION experiment_lower_bounds(shares double precision[]) RETURNS double precision[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array_agg(lower ORDER BY n) FROM (
    SELECT n, coalesce(sum(s) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS lower
    FROM unnest(shares) WITH ORDINALITY AS u (s, n)) AS b
$$;

-- The arm whose interval holds the bucket; the last arm takes any rounding at the top. Same as armAt().
CREATE FUNCTION experiment_arm(bucket double precision, arms text[], lower_bounds double precision[]) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT arms[width_bucket(bucket, lower_bounds)]
$$;

CREATE TABLE experiments (
  experiment_id  text PRIMARY KEY,
  cohort_id      text NOT NULL,
  definition     jsonb NOT NULL,                -- the validated definition (src/experiments/experiment.ts)
  salt           text NOT NULL,                 -- copied out of the definition: it may never change
  created_by     text NOT NULL,
  rationale      text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  status         text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'stopped')),
  stopped_at     timestamptz,
  stopped_by     text,
  stop_reason    text
);
-- Two running experiments on one cohort would each hold members back from the other's
-- treatment; one at a time keeps a holdout a holdout.
CREATE UNIQUE INDEX experiments_one_running_per_cohort ON experiments (cohort_id) WHERE status = 'running';

CREATE FUNCTION experiments_keep_salt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.salt IS DISTINCT FROM OLD.salt OR NEW.cohort_id IS DISTINCT FROM OLD.cohort_id THEN
    RAISE EXCEPTION 'experiment %: salt and cohort are fixed for its life', OLD.experiment_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER experiments_keep_salt BEFORE UPDATE ON experiments
  FOR EACH ROW EXECUTE FUNCTION experiments_keep_salt();

-- Version 1 is the definition's shares; each adaptive reallocation adds the next version.
CREATE TABLE experiment_allocations (
  experiment_id  text NOT NULL REFERENCES experiments (experiment_id),
  version        integer NOT NULL CHECK (version >= 1),
  arms           text[] NOT NULL,
  shares         double precision[] NOT NULL CHECK (cardinality(shares) = cardinality(arms)),
  run_id         text,                          -- the refresh that decided it (NULL for version 1)
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (experiment_id, version)
);

-- Every reallocation decision a refresh took, including "warming-up" (no new version), with the
-- evidence the report shows; one per (experiment, run) so a retried activity finds its own.
CREATE TABLE experiment_reallocations (
  experiment_id  text NOT NULL REFERENCES experiments (experiment_id),
  run_id         text NOT NULL,
  decision       text NOT NULL CHECK (decision IN ('reallocated', 'warming-up')),
  from_version   integer NOT NULL,
  to_version     integer NOT NULL,
  seed           text NOT NULL,                 -- the random source's seed: the decision can be recomputed
  evidence       jsonb NOT NULL,                -- successes/failures, posterior means, P(best), floors, shares
  decided_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (experiment_id, run_id),
  FOREIGN KEY (experiment_id, to_version) REFERENCES experiment_allocations (experiment_id, version)
);

-- A member's first assignment, never rewritten: a member who leaves the cohort and returns
-- keeps its arm. assigned_at is when the snapshot was published (the treatment can start then,
-- not at asOf: the approval gate may sit between the two). Keyed by customer for sharding.
CREATE TABLE experiment_assignments (
  experiment_id       text NOT NULL,
  customer_id         text NOT NULL,
  arm                 text NOT NULL,
  bucket              double precision NOT NULL CHECK (bucket >= 0 AND bucket < 1),
  allocation_version  integer NOT NULL,
  snapshot_id         text NOT NULL REFERENCES cohort_snapshots (snapshot_id),
  run_id              text NOT NULL,
  assigned_at         timestamptz NOT NULL,
  PRIMARY KEY (experiment_id, customer_id),
  FOREIGN KEY (experiment_id, allocation_version) REFERENCES experiment_allocations (experiment_id, version)
);
CREATE INDEX experiment_assignments_by_arm ON experiment_assignments (experiment_id, arm, assigned_at);

-- Assignments are history: no update ever; a delete only through erasure, which removes the
-- customer everywhere (the reports' counts then drop that member, as they must).
CREATE FUNCTION experiment_assignments_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'experiment_assignments: an assignment is never changed';
END $$;
CREATE TRIGGER experiment_assignments_append_only BEFORE UPDATE ON experiment_assignments
  FOR EACH ROW EXECUTE FUNCTION experiment_assignments_append_only();

-- Assigns the snapshot's members who have no arm yet in a running experiment, under its latest
-- allocation, in one statement; members already assigned keep their arm (ON CONFLICT), so a
-- retried publish assigns nobody twice. Returns how many were assigned now. Reads the snapshot
-- through snapshot_members and hashes each member once: one pass, no per-member round trip.
CREATE FUNCTION experiment_assign(p_experiment text, p_snapshot text, p_run text, p_at timestamptz) RETURNS integer
  LANGUAGE sql AS $$
  WITH e AS (
    SELECT salt FROM experiments WHERE experiment_id = p_experiment AND status = 'running'
  ), a AS (
    SELECT version, arms, experiment_lower_bounds(shares) AS lower_bounds FROM experiment_allocations
    WHERE experiment_id = p_experiment ORDER BY version DESC LIMIT 1
  ), assigned AS (
    INSERT INTO experiment_assignments
      (experiment_id, customer_id, arm, bucket, allocation_version, snapshot_id, run_id, assigned_at)
    SELECT p_experiment, m.customer_id, experiment_arm(b.bucket, a.arms, a.lower_bounds), b.bucket, a.version,
           p_snapshot, p_run, p_at
    FROM snapshot_members m
    CROSS JOIN e CROSS JOIN a
    CROSS JOIN LATERAL (SELECT experiment_bucket(e.salt, m.customer_id) AS bucket) AS b
    WHERE m.snapshot_id = p_snapshot
    ON CONFLICT (experiment_id, customer_id) DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::integer FROM assigned
$$;

-- Why a member was held back from a delivery: no consent for the destination's purpose (checked
-- first), or the holdout arm of the cohort's running experiment (activation destinations only).
-- Either way the destination never received the member, which is what the next diff needs.
ALTER TABLE delivery_suppressed ADD COLUMN reason text NOT NULL DEFAULT 'consent' CHECK (reason IN ('consent', 'holdout'));
-- The experiment running on the cohort when the delivery was planned: whose arms it used.
ALTER TABLE destination_deliveries ADD COLUMN experiment_id text;
ALTER TABLE destination_deliveries ADD COLUMN held_out integer NOT NULL DEFAULT 0;
-- The SQL destination carries each member's arm, for analysis in SQL.
ALTER TABLE published_cohort_members ADD COLUMN arm text;
