-- Issue 5: the governance trail. The audit log becomes append-only and tamper-evident (a hash
-- chain in id order), and analysts' and approvers' notes are kept as learnings.

-- Every row's hash covers the previous row's hash and the row's canonical text, so editing,
-- removing or inserting a row anywhere but at the end breaks the chain from there on
-- (src/governance/audit-chain.ts verifies it, recomputing every hash outside the database).
ALTER TABLE audit_log ADD COLUMN prev_hash text, ADD COLUMN hash text;

-- The prev_hash of the first row.
CREATE FUNCTION audit_log_genesis() RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT repeat('0', 64) $$;

-- The time as the chain spells it: UTC, microseconds, whatever the session's TimeZone/DateStyle.
CREATE FUNCTION audit_log_time(at timestamptz) RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') $$;

-- One field of the canonical text: "null", or the value's length in UTF-8 bytes, ":" and the
-- value, so no value can imitate a separator or a null.
CREATE FUNCTION audit_log_field(value text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN value IS NULL THEN 'null' ELSE octet_length(value) || ':' || value END $$;

-- The canonical text of a row, one "name field" line per column. audit-chain.ts builds the
-- same text from the same pieces (audit_log_time(at), details::text); keep the two in step.
CREATE FUNCTION audit_log_canonical(id bigint, key text, at timestamptz, run_id text, actor text, action text, details jsonb)
  RETURNS text LANGUAGE sql STABLE
  AS $$ SELECT 'id ' || id
    || E'\nkey ' || audit_log_field(key)
    || E'\nat ' || audit_log_field(audit_log_time(at))
    || E'\nrun_id ' || audit_log_field(run_id)
    || E'\nactor ' || audit_log_field(actor)
    || E'\naction ' || audit_log_field(action)
    || E'\ndetails ' || audit_log_field(details::text) $$;

-- hash = hex(sha256(prev_hash || '\n' || canonical text)), UTF-8; builtin sha256, no extension.
CREATE FUNCTION audit_log_hash(prev_hash text, canonical text) RETURNS text LANGUAGE sql IMMUTABLE
  AS $$ SELECT encode(sha256(convert_to(prev_hash || E'\n' || canonical, 'UTF8')), 'hex') $$;

-- The rows written so far, chained in id order.
DO $$
DECLARE
  r record;
  prev text := audit_log_genesis();
BEGIN
  FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
    UPDATE audit_log SET prev_hash = prev, hash = audit_log_hash(prev, audit_log_canonical(r.id, r.key, r.at, r.run_id, r.actor, r.action, r.details))
      WHERE id = r.id RETURNING hash INTO prev;
  END LOOP;
END $$;
ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;

-- Writers take turns: the id is drawn only once the lock is held (and the lock is held until
-- commit), so the chain's order is the id order and every row sees its predecessor committed.
-- Hence: insert into audit_log last in a transaction, so nothing else waits behind the lock.
-- The trigger, not the writer, sets id, prev_hash and hash. An INSERT … ON CONFLICT (key) DO
-- NOTHING that is skipped only leaves a gap in the ids, which the chain does not mind.
ALTER TABLE audit_log ALTER COLUMN id DROP DEFAULT;
CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  -- A snapshot older than the lock would not see the latest row and would fork the chain.
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'audit_log is written only in READ COMMITTED transactions (this one is %): its hash chain must see the latest row',
      current_setting('transaction_isolation');
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('cohortflow'), hashtext('audit_log chain'));
  NEW.id := nextval(pg_get_serial_sequence('audit_log', 'id'));
  NEW.prev_hash := COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), audit_log_genesis());
  NEW.hash := audit_log_hash(NEW.prev_hash, audit_log_canonical(NEW.id, NEW.key, NEW.at, NEW.run_id, NEW.actor, NEW.action, NEW.details));
  RETURN NEW;
END $$;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- Append-only, for every role including the owner; a change is a new row that says so.
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is refused; record a correction as a new row', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The learnings library: what people noticed about a run or a cohort, in their own words.
CREATE TABLE learnings (
  id         bigserial PRIMARY KEY,
  run_id     text REFERENCES runs (run_id),
  cohort_id  text,                          -- a cohort with a recorded definition (no FK: versions are per (cohort, version))
  author     text NOT NULL,
  text       text NOT NULL CHECK (char_length(text) BETWEEN 1 AND 4000),
  at         timestamptz NOT NULL DEFAULT now(),
  CHECK (run_id IS NOT NULL OR cohort_id IS NOT NULL)
);
CREATE INDEX learnings_run_idx ON learnings (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX learnings_cohort_idx ON learnings (cohort_id) WHERE cohort_id IS NOT NULL;
