#!/usr/bin/env bash
# The OpenAPI document against the live server: schemathesis (PyPI) sends
# generated requests, valid and invalid, to every operation of a real `artel
# serve` and fails on any 5xx, any status the document does not list, and any
# response body that does not match its schema. Runs once per engine (SQLite,
# then a fresh Postgres database).
#
# Usage: scripts/api-conformance.sh <artel binary>
# Environment: ARTEL_TEST_POSTGRES_URL (as the test command), ARTEL_CONFORMANCE_EXAMPLES
# (generated cases per operation, default 25), ARTEL_CONFORMANCE_ENGINES (default "sqlite postgres").
set -euo pipefail
cd "$(dirname "$0")/.."

BIN="${1:?usage: scripts/api-conformance.sh <artel binary>}"
say() { printf '\033[1m[conformance]\033[0m %s\n' "$*"; }
PG_URL="${ARTEL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
EXAMPLES="${ARTEL_CONFORMANCE_EXAMPLES:-25}"
SCHEMATHESIS_VERSION=4.32.5

# schemathesis lives in a virtualenv under the build dir, so a fresh machine gets
# it from PyPI once and the system Python stays untouched.
VENV="$(cd "${CARGO_TARGET_DIR:-target}" 2>/dev/null && pwd || echo "$PWD/target")/conformance-venv"
if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    say "python3 venv support missing; installing python3-venv with apt (needs root)"
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; fi
  fi
  say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_engine() {
  local engine="$1" data port pid db_url="" db_name="" log
  data="$(mktemp -d)"
  port="$(free_port)"
  log="$data/server.log"
  if [ "$engine" = postgres ]; then
    db_name="artel_conformance_$$_$RANDOM"
    psql "$PG_URL" -qc "create database $db_name" >/dev/null
    db_url="${PG_URL%/*}/$db_name"
  fi
  say "$engine: starting $BIN on 127.0.0.1:$port"
  env ARTEL_DATA_DIR="$data" ${db_url:+DATABASE_URL="$db_url"} \
    ARTEL_ARGON2_MEMORY_KIB=1024 ARTEL_ARGON2_ITERATIONS=1 ARTEL_ACCESS_TOKEN_TTL_SECS=86400 \
    ARTEL_LOGIN_MAX_FAILURES_PER_IP=1000000 RUST_LOG=warn \
    "$BIN" serve --listen "127.0.0.1:$port" >"$log" 2>&1 &
  pid=$!
  local base="http://127.0.0.1:$port/api/v1"
  for _ in $(seq 1 100); do curl -fsS "$base/health" >/dev/null 2>&1 && break; sleep 0.2; done
  local token
  token="$(curl -fsS -X POST "$base/setup" -H 'content-type: application/json' \
    -d '{"workspace_name":"Conformance","name":"Owner","email":"owner@conformance.test","password":"conformance password"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
  local rc=0
  # Excluded: sign-out (it would end the run's own session part way) and the
  # WebSocket upgrade (not a request/response pair). Everything else is generated,
  # including the admin operations, which only ever meet generated ids.
  "$VENV/bin/schemathesis" run "$base/openapi.json" --url "$base" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$EXAMPLES" --seed 20261207 --workers 2 --no-shrink \
    --phases examples,coverage,fuzzing \
    --exclude-path /auth/logout --exclude-path /auth/logout-all --exclude-path /ws \
    --suppress-health-check all --warnings off || rc=$?
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if grep -q "panicked" "$log"; then
    say "$engine: the server panicked:"; grep -A3 panicked "$log" | head -20; rc=1
  fi
  [ -n "$db_name" ] && psql "$PG_URL" -qc "drop database if exists $db_name with (force)" >/dev/null 2>&1 || true
  rm -rf "$data"
  if [ "$rc" != 0 ]; then say "$engine: the server disagrees with its OpenAPI document (above)"; return "$rc"; fi
  say "$engine: 0 server errors, 0 undocumented statuses, 0 schema violations"
}

for engine in ${ARTEL_CONFORMANCE_ENGINES:-sqlite postgres}; do
  run_engine "$engine"
done
