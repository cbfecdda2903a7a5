-- Issue 13: erasure that stays erased. Every identifier an erased customer ever had (customer id,
-- emails, product user ids, anonymous ids, billing ids) is kept as a keyed hash (HMAC-SHA256 of
-- scheme and value, with a key held outside the database), so ingest, identity linking, query
-- sources and delivery can refuse it without the database keeping it in clear.

CREATE TABLE erased_identifiers (
  hash        text PRIMARY KEY,              -- hex HMAC-SHA256 of "<scheme>\0<value>"
  key_id      text NOT NULL,                 -- which key made it: hashes of another key match nothing
  erased_at   timestamptz NOT NULL DEFAULT now()
);

-- Rows an ingest refused because they named an erased identifier: read = stored + duplicates +
-- quarantined + erased.
ALTER TABLE ingest_progress ADD COLUMN erased bigint NOT NULL DEFAULT 0;
ALTER TABLE source_ingests ADD COLUMN erased bigint NOT NULL DEFAULT 0;

-- Delivery leaves erased customers out of every plan: few rows, found without a scan.
CREATE INDEX customers_erased_idx ON customers (customer_no) WHERE erased_at IS NOT NULL;
