#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for cohortflow's tests (used locally and by .ci/run).
#
#   eval "$(bash scripts/test-db.sh start)"   # init (first time) + start; prints `export DATABASE_URL=...`
#   bash scripts/test-db.sh stop | status | url
#   bash scripts/test-db.sh reset             # stop and delete the data dir
#
# Listens on 127.0.0.1:${COHORTFLOW_PG_PORT:-55432} only, tuned for speed (fsync=off), not durability.
# Role cohortflow/cohortflow (superuser: some tests need it), database cohortflow_test.
# Progress goes to stderr; stdout carries only the export lines.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORT="${COHORTFLOW_PG_PORT:-55432}"
URL="postgres://cohortflow:cohortflow@127.0.0.1:${PORT}/cohortflow_test"
log() { echo "[test-db] $*" >&2; }

# Newest Debian-style /usr/lib/postgresql/<v>/bin, else wherever pg_ctl is on PATH.
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/pg_ctl" ]]; then
  command -v pg_ctl >/dev/null || { log "PostgreSQL not found (no pg_ctl): install postgresql first"; exit 1; }
  PG_BIN="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
fi

# The server refuses to run as root: as root, run it as the `postgres` user.
if [[ $EUID -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/postgresql --shell /bin/bash postgres
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  as_pg() { "$@"; }
fi

# Data dir: .data/pg-test in the repo, unless the postgres user cannot reach it (e.g. repo under
# /root) or the path is too long for a unix socket; then a fixed dir under /tmp.
DATA="$ROOT/.data/pg-test"
mkdir -p "$ROOT/.data"
if [[ ${#DATA} -gt 80 ]] || ! as_pg test -x "$ROOT/.data"; then DATA="/tmp/cohortflow-pg-test-$PORT"; fi
LOGFILE="$DATA.log"

pg_ctl() { as_pg "$PG_BIN/pg_ctl" -D "$DATA" "$@"; }
psql_admin() { as_pg "$PG_BIN/psql" -h "$DATA" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
running() { [[ -f "$DATA/PG_VERSION" ]] && pg_ctl status >/dev/null 2>&1; }

start() {
  if [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "initialising cluster in $DATA ($("$PG_BIN/pg_ctl" --version))"
    mkdir -p "$DATA"
    [[ $EUID -eq 0 ]] && chown postgres: "$DATA"
    chmod 700 "$DATA"
    # Local (socket, inside the 0700 data dir) = trust; TCP = password.
    as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -E UTF8 --no-locale \
      --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  fi
  if running; then
    log "already running on 127.0.0.1:$PORT ($DATA)"
  else
    [[ $EUID -eq 0 ]] && { touch "$LOGFILE"; chown postgres: "$LOGFILE"; }
    log "starting on 127.0.0.1:$PORT (log: $LOGFILE)"
    pg_ctl -l "$LOGFILE" -w -t 60 start -o "-c listen_addresses=127.0.0.1 -c port=$PORT \
      -c unix_socket_directories='$DATA' -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off -c max_connections=200" >/dev/null \
      || { log "start failed; last log lines:"; tail -n 20 "$LOGFILE" >&2; exit 1; }
  fi
  for _ in $(seq 1 60); do
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
  done
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || { log "server not ready"; exit 1; }
  psql_admin -d postgres <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cohortflow') THEN
    CREATE ROLE cohortflow LOGIN SUPERUSER PASSWORD 'cohortflow';
  END IF;
END $$;
SELECT 'CREATE DATABASE cohortflow_test OWNER cohortflow'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'cohortflow_test') \gexec
SQL
  log "ready: $URL"
  print_url
}

stop() {
  if running; then log "stopping ($DATA)"; pg_ctl -m fast -w stop >/dev/null; else log "not running"; fi
}

print_url() {
  echo "export DATABASE_URL=$URL"
  echo "export TEST_DATABASE_URL=$URL"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then log "running on 127.0.0.1:$PORT ($DATA)"; else log "not running"; exit 3; fi ;;
  url) print_url ;;
  reset) stop; log "removing $DATA"; rm -rf "$DATA" "$LOGFILE" ;;
  *) echo "usage: bash scripts/test-db.sh start|stop|status|url|reset" >&2; exit 2 ;;
esac
