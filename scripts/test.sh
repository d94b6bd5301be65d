#!/usr/bin/env bash
# The one command that runs every Artel test: `./scripts/test.sh`.
#
# It provisions what the tests need on a fresh Debian machine and says what it
# did: PostgreSQL and Redis (started, or installed with apt when running as root). Then it
# checks formatting and runs the whole workspace's tests — the Store contract
# suite and the black-box API tests run against both SQLite and Postgres.
#
# Environment:
#   ARTEL_TEST_POSTGRES_URL  Postgres the tests create their databases on
#                            (default postgres://postgres@127.0.0.1:5432/postgres)
#   ARTEL_TEST_REDIS_URL     Redis for the bus tests (default redis://127.0.0.1:6379)
#   CARGO_TARGET_DIR         reuse a build directory between runs
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[test.sh]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }

# --- Rust toolchain ------------------------------------------------------------
if ! command -v cargo >/dev/null; then
  say "cargo not found: install Rust (https://rustup.rs) and run again"
  exit 1
fi
say "using $(cargo --version)"

# --- PostgreSQL ----------------------------------------------------------------
PG_URL="${ARTEL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

pg_ok() {
  if command -v psql >/dev/null; then
    psql "$1" -tAc 'select 1' >/dev/null 2>&1
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}

start_pg_clusters() {
  if command -v pg_ctlcluster >/dev/null && command -v pg_lsclusters >/dev/null; then
    pg_lsclusters --no-header 2>/dev/null | while read -r ver name _port status _rest; do
      if [ "$status" != "online" ]; then
        say "starting PostgreSQL cluster $ver/$name"
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
      fi
    done
  fi
}

wait_pg() {
  for _ in $(seq 1 30); do pg_ok "$1" && return 0; sleep 1; done
  return 1
}

if pg_ok "$PG_URL"; then
  say "PostgreSQL is up at ${PG_URL%%@*}@…"
else
  say "PostgreSQL not reachable; trying to start it"
  start_pg_clusters
  if ! wait_pg "$PG_URL"; then
    if ! command -v pg_ctlcluster >/dev/null; then
      say "PostgreSQL is not installed; installing it with apt (needs root)"
      as_root apt-get update -qq
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-client >/dev/null
      start_pg_clusters
    fi
    if [ -z "${ARTEL_TEST_POSTGRES_URL:-}" ] && ! wait_pg "$PG_URL"; then
      # A packaged server asks for a password over TCP: give the postgres role one
      # for the tests (local socket access as the postgres OS user is peer-trusted).
      say "setting a password for the postgres role so tests can connect over TCP"
      as_root su postgres -c "psql -qc \"alter user postgres password 'artel-test'\"" >/dev/null
      PG_URL="postgres://postgres:artel-test@127.0.0.1:5432/postgres"
    fi
    wait_pg "$PG_URL" || { say "PostgreSQL still not reachable at $PG_URL"; exit 1; }
  fi
  say "PostgreSQL is up"
fi
export ARTEL_TEST_POSTGRES_URL="$PG_URL"

# --- Redis ---------------------------------------------------------------------
# The bus contract suite and the cluster tests use the machine's Redis, and start
# private redis-server processes to restart them at will.
REDIS_URL_T="${ARTEL_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
redis_ok() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c5 <&3 | grep -q PONG) 2>/dev/null; }
if ! command -v redis-server >/dev/null; then
  say "redis-server is not installed; installing it with apt (needs root)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if [ -n "${ARTEL_TEST_REDIS_URL:-}" ] || redis_ok; then
  say "Redis is up at $REDIS_URL_T"
else
  say "Redis not reachable; starting redis-server on 127.0.0.1:6379 (no persistence)"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --logfile /tmp/artel-test-redis.log >/dev/null
  for _ in $(seq 1 20); do redis_ok && break; sleep 0.5; done
  redis_ok || { say "Redis still not reachable"; exit 1; }
fi
export ARTEL_TEST_REDIS_URL="$REDIS_URL_T"

# --- OpenSSL headers (Web Push) --------------------------------------------------
# artel-push encrypts payloads with the `ece` crate, which builds against OpenSSL:
# it needs libssl-dev and pkg-config at compile time.
if ! pkg-config --exists openssl 2>/dev/null; then
  say "OpenSSL headers or pkg-config missing (needed by Web Push encryption); installing libssl-dev and pkg-config with apt (needs root)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config >/dev/null
fi

# --- Checks and tests ----------------------------------------------------------
# On CI every build is a cold one-off: incremental caches only cost disk there.
if [ "${CI:-}" = true ] && [ -z "${CARGO_INCREMENTAL:-}" ]; then
  export CARGO_INCREMENTAL=0
  say "CI: incremental compilation off (saves disk on a one-off build)"
fi

# The server binary the e2e runs start: the one the Rust test run just built
# (server/api's CLI tests need it). `cargo build -p artel` would resolve the
# dependencies' features for that one package, unlike the workspace test build,
# and so compile most of the dependency tree a second time (minutes and
# gigabytes); asking for the same test build again is a no-op when fresh.
artel_bin() {
  local bin
  # Fresh after the test run, so a no-op then; builds it if anything is stale.
  cargo test --workspace --no-run --quiet >&2
  bin="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/artel"
  [ -x "$bin" ] || { say "no $bin after the workspace test build" >&2; exit 1; }
  printf '%s\n' "$bin"
}

say "checking formatting (cargo fmt --check)"
cargo fmt --all -- --check
say "linting (cargo clippy, warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

# --- Meilisearch (optional) ------------------------------------------------------
# No registry packages it, so it is never installed here. The Meilisearch tests
# are #[ignore]d: without one they show as skipped in nextest's summary (never as
# passed); with MEILI_URL set or a `meilisearch` binary on PATH they run, and a
# Meilisearch that then fails them fails the run.
RUN_IGNORED=()
MEILI_FILTER=()
if [ -n "${MEILI_URL:-}" ]; then
  say "Meilisearch: MEILI_URL is set; the Meilisearch search tests run against it"
  say "SKIPPED: the Meilisearch outage test (it must stop its own private meilisearch; MEILI_URL names a shared one)"
  RUN_IGNORED=(--run-ignored all)
  MEILI_FILTER=(-E 'not test(/meilisearch::meilisearch_outage_loses_nothing$/)')
elif command -v meilisearch >/dev/null; then
  say "Meilisearch: $(command -v meilisearch) ($(meilisearch --version 2>/dev/null | head -1)); the Meilisearch search tests start it"
  RUN_IGNORED=(--run-ignored all)
else
  say "SKIPPED: Meilisearch tests (no MEILI_URL, no meilisearch on PATH): nextest counts them as skipped; see docs/search.md, Tests"
fi

if cargo nextest --version >/dev/null 2>&1; then
  say "running all tests with cargo-nextest (SQLite and Postgres backends; no retries: a flaky test fails the run)"
  cargo nextest run --workspace --profile ci --no-tests=fail "${RUN_IGNORED[@]}" "${MEILI_FILTER[@]}"
else
  say "cargo-nextest not installed; running all tests with cargo test (ignored tests are reported as ignored)"
  if [ ${#RUN_IGNORED[@]} -gt 0 ]; then
    cargo test --workspace -- --include-ignored
  else
    cargo test --workspace
  fi
fi

# --- The OpenAPI document against the live server --------------------------------
# schemathesis (PyPI, in a virtualenv under the build dir) drives a real `artel
# serve` on SQLite and on a fresh Postgres database: no 5xx, no status or body the
# document does not describe. Set ARTEL_SKIP_CONFORMANCE=1 to skip this section.
if [ "${ARTEL_SKIP_CONFORMANCE:-0}" = 1 ]; then
  say "SKIPPED: API conformance (ARTEL_SKIP_CONFORMANCE=1)"
else
  say "API conformance: schemathesis against target/debug/artel on SQLite and Postgres"
  ./scripts/api-conformance.sh "$(artel_bin)"
fi

# --- Node packages: one install for the npm workspaces ---------------------------
# client/ (@artel/client: the typed REST + WebSocket client, i18n and chat state),
# web/ and mobile/ are npm workspaces of the root package.json, with one lock
# (package-lock.json at the root): web/ and mobile/ import the shared client as
# the package `@artel/client`, linked into node_modules, never through aliases.
npm_installed=0
npm_install() {
  [ "$npm_installed" = 1 ] && return 0
  say "installing the locked dependencies of client/, web/ and mobile/ (npm ci at the root)"
  npm ci --no-audit --no-fund --loglevel=error
  npm_installed=1
}

# --- Web client (web/): unit tests, build, end-to-end in real Chromium ------------
# Needs Node.js 20+ with npm and a Chromium; installs them with apt when missing
# (as root) and says so. The e2e run starts target/debug/artel on a temp data dir
# and a free port and drives it with playwright-core; screenshots land in
# web/e2e/artifacts/. Set ARTEL_SKIP_WEB_TESTS=1 to skip this section.
if [ "${ARTEL_SKIP_WEB_TESTS:-0}" = 1 ]; then
  say "skipping the web client tests (ARTEL_SKIP_WEB_TESTS=1)"
else
  node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)'; }
  if ! node_ok || ! command -v npm >/dev/null; then
    say "Node.js 20.19+ with npm not found; installing nodejs and npm with apt (needs root)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    node_ok || { say "Node.js $(node --version 2>/dev/null) is too old for the web client (needs 20.19+)"; exit 1; }
  fi
  CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ ! -x "$CHROMIUM" ]; then
    say "Chromium not found at $CHROMIUM; installing chromium with apt (needs root)"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  export CHROMIUM_PATH="$CHROMIUM"
  npm_install
  say "client: the generated API types match the OpenAPI snapshot (npm run check:api)"
  (cd client && npm run --silent check:api)
  say "client: type check and unit tests (vitest) of the shared @artel/client package"
  (cd client && npm run --silent typecheck && npx vitest run)
  say "web: unit tests (vitest)"
  (cd web && npx vitest run)
  say "web: type check and production build"
  (cd web && npm run build --silent)
  say "web: end-to-end tests in Chromium against target/debug/artel"
  ARTEL_BIN="$(artel_bin)"
  (cd web && ARTEL_BIN="$ARTEL_BIN" node e2e/run.mjs)
  say "web: a day's work through the UI alone (Vladivostok and London, Russian and English)"
  (cd web && ARTEL_BIN="$ARTEL_BIN" node e2e/day.mjs)
fi

# --- Mobile client (mobile/, the PWA at /m/): unit tests, build, e2e -----------
# Same needs as the web section (Node.js 20.19+, npm, Chromium). The e2e run
# emulates a Pixel 7 and an iPhone 14 against target/debug/artel serving
# mobile/dist; screenshots land in mobile/e2e/artifacts/. The push step runs
# when the server has GET /api/v1/push/key and says SKIPPED otherwise.
# Set ARTEL_SKIP_MOBILE_TESTS=1 to skip this section.
if [ "${ARTEL_SKIP_MOBILE_TESTS:-0}" = 1 ]; then
  say "skipping the mobile client tests (ARTEL_SKIP_MOBILE_TESTS=1)"
else
  command -v npm >/dev/null || { say "npm not found: install Node.js 20.19+ for the mobile client tests"; exit 1; }
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || { say "Chromium not found at ${CHROMIUM_PATH:-/usr/bin/chromium}"; exit 1; }
  export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
  npm_install
  say "mobile: unit tests (vitest)"
  (cd mobile && npx vitest run)
  say "mobile: type check and production build"
  (cd mobile && npm run build --silent)
  say "mobile: end-to-end tests in Chromium (phone emulation) against target/debug/artel"
  ARTEL_BIN="$(artel_bin)"
  (cd mobile && ARTEL_BIN="$ARTEL_BIN" node e2e/run.mjs)
fi
