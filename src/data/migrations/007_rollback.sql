-- Issue 6 (rollback): a rollback is a new published version, so the history stays append-only.
-- Rolling back a cohort's first publish leaves it with no current snapshot: that version is
-- written with snapshot_id NULL ("withdrawn") and the cohort's cohort_current row is removed;
-- its delivery removes every member the withdrawn version had delivered (docs/rollback.md).
ALTER TABLE published_versions ALTER COLUMN snapshot_id DROP NOT NULL;

-- The version a rollback restored (NULL for an ordinary publish), and why it was rolled back.
ALTER TABLE published_versions ADD COLUMN restores_version integer, ADD COLUMN reason text;
