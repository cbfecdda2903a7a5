-- Issue 6: erasure. A customer's personal data is deleted and their membership removed from every
-- stored snapshot; what remains is a tombstone that keeps their customer number reserved (so no
-- snapshot array can ever point at someone else) and the list of published cohorts whose
-- destinations still hold them, so removes can be delivered.

ALTER TABLE customers ADD COLUMN erased_at timestamptz;

CREATE TABLE erasures (
  customer_id     text PRIMARY KEY,           -- the id destinations know; needed to deliver the removes
  customer_no     integer NOT NULL,
  requested_by    text NOT NULL,
  reason          text NOT NULL,
  erased_at       timestamptz NOT NULL DEFAULT now(),
  rows_deleted    jsonb NOT NULL,             -- per table, what was deleted
  snapshots       integer NOT NULL            -- snapshots the customer was removed from
);

-- Destinations whose acknowledged membership of a cohort held the customer: each gets a remove
-- (webhook), its export files rewritten (file), or already lost the rows (SQL, in the erasure).
CREATE TABLE erasure_removals (
  customer_id   text NOT NULL,
  cohort_id     text NOT NULL,
  destination   text NOT NULL,
  delivered_at  timestamptz,
  last_error    text,
  PRIMARY KEY (customer_id, cohort_id, destination)
);
