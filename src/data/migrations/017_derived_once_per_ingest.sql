-- Issue 14: what compute reads is derived from the stored rows once per ingest, in one set-based
-- pass over the rows ingested since the last one, instead of being upserted per chunk. This row
-- says how far the derivation got: every row ingested up to complete_until is in it.
CREATE TABLE derived_state (
  name            text PRIMARY KEY,
  complete_until  timestamptz NOT NULL,
  derived_at      timestamptz NOT NULL DEFAULT now()
);
-- Until now the rollups were kept up to date by every chunk: they are complete.
INSERT INTO derived_state (name, complete_until) VALUES ('customer_daily', now());

-- Events are stored by COPY: their ingestion time is the moment the COPY ran (after its chunk
-- took its share of the derived-state lock), not when its transaction began.
ALTER TABLE events ALTER COLUMN ingested_at SET DEFAULT statement_timestamp();
