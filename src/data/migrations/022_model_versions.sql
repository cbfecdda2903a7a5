-- Issue 17: predictive scores in rules, with their models governed like definitions. Every fit
-- is a model version; a version becomes current only through a run's approval gate (or stays
-- proposed, or is rejected); a run pins the current versions when it plans and scores every
-- customer with them as of its asOf, and its snapshots name the versions they read.

CREATE TABLE model_versions (
  model_id          text PRIMARY KEY,                 -- e.g. churn-v3
  kind              text NOT NULL CHECK (kind IN ('purchasing', 'churn', 'upgrade')),
  version           integer NOT NULL,
  status            text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'current', 'retired', 'rejected')),
  as_of             timestamptz NOT NULL,             -- the fit saw what was known then
  training_from     timestamptz NOT NULL,             -- the training window
  training_until    timestamptz NOT NULL,
  watermarks        jsonb NOT NULL,                   -- source watermarks at fit time
  parameters        jsonb NOT NULL,                   -- the model as it scores
  metrics           jsonb NOT NULL,
  promotable        boolean NOT NULL,                 -- the promotion rule (minimum AUC, fit converged)
  promotion_reason  text NOT NULL,
  drift             jsonb,                            -- score distribution against the version current at fit time
  author            text NOT NULL,
  rationale         text NOT NULL,
  run_id            text,                             -- the run whose approval gate decides it
  created_at        timestamptz NOT NULL DEFAULT now(),
  decided_by        text,
  decided_at        timestamptz,
  UNIQUE (kind, version)
);
-- At most one current version per kind.
CREATE UNIQUE INDEX model_versions_current_idx ON model_versions (kind) WHERE status = 'current';

-- The versions a run scores with, fixed when it plans (a retry scores with the same ones).
CREATE TABLE run_models (
  run_id    text NOT NULL,
  kind      text NOT NULL,
  model_id  text NOT NULL REFERENCES model_versions (model_id),
  PRIMARY KEY (run_id, kind)
);

-- Every customer existing at the run's asOf, scored by the run's models (NULL where a model does
-- not apply: no purchase yet, not a subscriber). Quantiles are cume_dist among the customers
-- scored. Kept with the run: a past snapshot is explained from the scores it read.
CREATE TABLE run_scores (
  run_id                    text NOT NULL,
  customer_no               integer NOT NULL,
  p_alive                   float8,
  p_alive_q                 float8,
  expected_purchases_90d    float8,
  expected_purchases_90d_q  float8,
  clv_12m                   float8,
  clv_12m_q                 float8,
  churn_probability         float8,
  churn_probability_q       float8,
  upgrade_probability       float8,
  upgrade_probability_q     float8,
  PRIMARY KEY (run_id, customer_no)
);
CREATE TABLE run_score_sets (
  run_id     text PRIMARY KEY,
  as_of      timestamptz NOT NULL,
  customers  integer NOT NULL,
  models     jsonb NOT NULL,                          -- { kind: model_id }
  scored_at  timestamptz NOT NULL DEFAULT now()
);

-- A snapshot's lineage: the model versions whose scores its rule read ({} when none).
ALTER TABLE cohort_snapshots ADD COLUMN model_versions jsonb NOT NULL DEFAULT '{}';
