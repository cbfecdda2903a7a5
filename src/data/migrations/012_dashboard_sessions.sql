-- Issue 16: dashboard sessions. A person signs in with an API token once; the browser then holds
-- only a random session id in an HttpOnly cookie. Stored here, not in one API process's memory,
-- so every API process behind a balancer knows the session and a restart signs nobody out.
-- Neither the session id nor the token is stored: only their sha256, so a reader of this table
-- can impersonate nobody. Roles are not stored either: they are looked up from the token's
-- current grant on every request, so a token taken out of COHORTFLOW_TOKENS ends its sessions.
CREATE TABLE dashboard_sessions (
  id_sha256     text PRIMARY KEY,
  token_sha256  text NOT NULL,
  csrf_token    text NOT NULL,              -- sent back on every state change (synchronizer token)
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
CREATE INDEX dashboard_sessions_expires_idx ON dashboard_sessions (expires_at);
