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

# POSTs JSON as the owner and prints the answer's `id`.
post() {
  curl -fsS -X "${4:-POST}" "$1$3" -H "Authorization: Bearer $2" -H 'content-type: application/json' -d "$5" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("id","") if isinstance(d,dict) else "")'
}

seed() {
  local base="$1" token="$2" chat deal stage contact
  chat="$(post "$base" "$token" /chats POST '{"kind":"channel","name":"general"}')"
  post "$base" "$token" "/chats/$chat/messages" POST '{"body":"**Привет**, @all: договор в `PDF`","client_msg_id":"seed-1"}' >/dev/null
  contact="$(post "$base" "$token" /contacts POST '{"name":"Пётр Иванов","emails":["petr@example.com"]}')"
  post "$base" "$token" /companies POST '{"name":"ООО Ромашка"}' >/dev/null
  deal="$(post "$base" "$token" /deals POST "{\"title\":\"Насосы\",\"amount_minor\":150000,\"currency\":\"RUB\",\"tags\":[\"опт\"],\"contact_id\":\"$contact\"}")"
  stage="$(curl -fsS "$base/pipelines" -H "Authorization: Bearer $token" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stages"][1]["id"])')"
  post "$base" "$token" "/deals/$deal/move" POST "{\"version\":1,\"stage_id\":\"$stage\"}" >/dev/null
  post "$base" "$token" "/deals/$deal" PATCH '{"version":2,"title":"Насосы и фильтры","tags":["опт","срочно"]}' >/dev/null
  post "$base" "$token" /tasks POST '{"title":"Позвонить клиенту","due_at":"2030-01-01T12:00:00Z","reminders":["2030-01-01T11:00:00Z"]}' >/dev/null
  post "$base" "$token" "/contacts/$contact" PATCH '{"position":"Директор"}' >/dev/null
}

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
  # Real records first, so lists, cards, histories and timelines answer with
  # data whose shape is checked too (not only 404s for generated ids).
  seed "$base" "$token"
  local rc=0
  # Excluded: sign-out and revoking a session (schemathesis learns the run's own
  # session id from GET /me/sessions and would end it part way) and the
  # WebSocket upgrade (not a request/response pair). Everything else is generated.
  "$VENV/bin/schemathesis" run "$base/openapi.json" --url "$base" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$EXAMPLES" --seed 20261207 --workers 2 --no-shrink \
    --phases examples,coverage,fuzzing \
    --exclude-path /auth/logout --exclude-path /auth/logout-all --exclude-path /me/sessions/{id} --exclude-path /ws \
    ${ARTEL_CONFORMANCE_REPORT:+--report ndjson --report-dir "$ARTEL_CONFORMANCE_REPORT"} \
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
