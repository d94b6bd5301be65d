#!/usr/bin/env bash
# Runs Artel with its web client: `./scripts/run.sh [serve flags…]`.
#
# Builds web/ first when web/dist is missing or older than the client's sources
# (npm ci at the root, for the npm workspaces client/, web/ and mobile/, then
# npm run build; needs Node.js 20+ and npm), then starts the server
# with `cargo run --release -- serve "$@"`, which serves the built client at
# http://127.0.0.1:8080 next to the API. Set ARTEL_SKIP_WEB_BUILD=1 to skip the
# client build (the server then serves whatever web/dist holds, or the API alone).
# The mobile client (mobile/, a PWA) is built the same way and served at /m/.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[run.sh]\033[0m %s\n' "$*"; }

web_stale() {
  [ -f web/dist/index.html ] || return 0
  # Anything in the client's sources newer than the built index means rebuild.
  [ -n "$(find web/src web/index.html web/package.json package-lock.json web/vite.config.ts client/src \
    client/package.json -newer web/dist/index.html -print -quit 2>/dev/null)" ]
}

# One install for the three workspaces (client/, web/, mobile/), when the lock changed.
installed=0
npm_install() {
  [ "$installed" = 1 ] && return 0
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
  installed=1
}

if [ "${ARTEL_SKIP_WEB_BUILD:-0}" != 1 ] && web_stale; then
  if ! command -v npm >/dev/null; then
    say "npm not found: install Node.js 20+ to build the web client (or set ARTEL_SKIP_WEB_BUILD=1)"
    exit 1
  fi
  say "building the web client (web/dist is missing or older than its sources)"
  npm_install
  (cd web && npm run build)
fi

# The mobile client (PWA, served at /m/) the same way.
mobile_stale() {
  [ -f mobile/dist/index.html ] || return 0
  [ -n "$(find mobile/src mobile/public mobile/index.html mobile/package.json package-lock.json \
    mobile/vite.config.ts client/src client/package.json -newer mobile/dist/index.html -print -quit 2>/dev/null)" ]
}

if [ "${ARTEL_SKIP_WEB_BUILD:-0}" != 1 ] && mobile_stale; then
  if ! command -v npm >/dev/null; then
    say "npm not found: install Node.js 20+ to build the mobile client (or set ARTEL_SKIP_WEB_BUILD=1)"
    exit 1
  fi
  say "building the mobile client (mobile/dist is missing or older than its sources)"
  npm_install
  (cd mobile && npm run build)
fi

exec cargo run --release -p artel -- serve "$@"
