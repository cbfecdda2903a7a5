-- What ingest does when a source file is at fault, and reports that stay true after a crash.

-- Each file's own counts, so an ingest activity retried after an earlier attempt of the same run
-- finished some files reports them as read, with what became of their rows, instead of skipped.
ALTER TABLE ingested_files
  ALTER COLUMN rows_read TYPE bigint,
  ADD COLUMN stored      bigint NOT NULL DEFAULT 0,
  ADD COLUMN duplicates  bigint NOT NULL DEFAULT 0,
  ADD COLUMN quarantined bigint NOT NULL DEFAULT 0,
  ADD COLUMN erased      bigint NOT NULL DEFAULT 0,
  ADD COLUMN null_keys   bigint NOT NULL DEFAULT 0;

-- A resumed file's committed chunks count their rows lacking the key field and their newest time
-- too: the null-rate check and the watermark must not depend on where a worker died.
ALTER TABLE ingest_progress
  ADD COLUMN null_keys bigint NOT NULL DEFAULT 0,
  ADD COLUMN newest    timestamptz;

-- A file that cannot be read on (not text, truncated or corrupt gzip, unreadable). Rows committed
-- from it before the fault stay, counted here and in the run's report; the rest of the file is
-- not read. The same file (same content) is never tried again: later runs skip it, saying so.
CREATE TABLE quarantined_files (
  source        text NOT NULL,
  file          text NOT NULL,
  sha256        text NOT NULL,            -- '' when the file could not be read to hash it
  run_id        text NOT NULL,
  reason        text NOT NULL,
  bytes_read    bigint NOT NULL,          -- of the file as stored (compressed or not), before the fault
  rows_read     bigint NOT NULL,
  stored        bigint NOT NULL,
  duplicates    bigint NOT NULL,
  quarantined   bigint NOT NULL,
  erased        bigint NOT NULL,
  null_keys     bigint NOT NULL,
  quarantined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, file, sha256)
);
CREATE INDEX quarantined_files_run_idx ON quarantined_files (run_id);

-- Quarantined rows keep at most 64 KiB of their raw text, whole characters; raw_length is the
-- row's full length in bytes and raw_truncated says the text was cut. A row that is not UTF-8
-- text (an invalid byte, a NUL, which text cannot hold) keeps its exact bytes in raw_bytes
-- (cut likewise); raw then shows them with each offending byte written as \xNN.
ALTER TABLE quarantine
  ADD COLUMN raw_length    bigint,
  ADD COLUMN raw_truncated boolean NOT NULL DEFAULT false,
  ADD COLUMN raw_bytes     bytea;
UPDATE quarantine SET raw_length = octet_length(raw);
-- A run's quarantined rows, in file order (GET /runs/:id/quarantine).
CREATE INDEX quarantine_run_idx ON quarantine (run_id, source, file, line);
