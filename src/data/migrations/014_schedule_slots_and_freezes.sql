-- Issue 18: calendar-aware schedules. Each slot of a schedule runs at most once: the newest slot a
-- run started for is kept per schedule, and a run for a slot at or before it ends without
-- refreshing (a second recovery, a duplicate start, Temporal catching up several slots).
CREATE TABLE schedule_slots (
  schedule_id  text PRIMARY KEY,
  last_slot    timestamptz NOT NULL,
  run_id       text NOT NULL,              -- the run that claimed last_slot; its retries find it again
  claimed_at   timestamptz NOT NULL DEFAULT now()
);

-- Freeze windows declared at run time (`cohortflow schedules freeze`), beside those of the
-- schedules file: instants, since the person names the exact stretch. Never deleted: a freeze
-- that is over simply no longer applies, and the audit log says who declared it and why.
CREATE TABLE freeze_windows (
  name         text PRIMARY KEY,
  reason       text NOT NULL,
  on_publish   text NOT NULL CHECK (on_publish IN ('wait', 'skip')),
  starts_at    timestamptz NOT NULL,
  ends_at      timestamptz NOT NULL CHECK (ends_at > starts_at),
  declared_by  text NOT NULL,
  declared_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX freeze_windows_ends_idx ON freeze_windows (ends_at);
