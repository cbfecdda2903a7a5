-- A start proof starts one run: the Temporal run that used each nonce (a retry of that run passes).
CREATE TABLE start_proof_uses (
  nonce            text PRIMARY KEY,
  workflow_id      text NOT NULL,
  temporal_run_id  text NOT NULL,
  used_at          timestamptz NOT NULL DEFAULT now()
);

-- One active refresh per tier: the run that holds each tier until its outcome is settled. A
-- holder that ended without settling (terminated) is found by asking Temporal, and replaced.
CREATE TABLE refresh_slots (
  tier        text PRIMARY KEY CHECK (tier IN ('tactical', 'strategic')),
  run_id      text,                        -- NULL: free
  claimed_at  timestamptz NOT NULL DEFAULT now()
);
