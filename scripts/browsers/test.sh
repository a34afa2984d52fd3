#!/usr/bin/env bash
# The runtime suite (test/runtimes/): the shared scenario under Deno, Bun and headless Chromium.
#
# Deno and Bun come from their npm packages (the binaries ship inside them), installed at pinned
# versions into a cache outside the clone (keyed by those versions, so a stale cache cannot
# mix in). Chromium is Debian's `chromium`, installed with apt when missing (CI runs as root).
# Run through `npm run test:browsers`, which builds first.
set -euo pipefail
cd "$(dirname "$0")/../.."

DENO_VERSION=2.9.6
BUN_VERSION=1.4.5
cache="${NRP_RUNTIMES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nrp-invenio-client/runtimes}/deno-${DENO_VERSION}-bun-${BUN_VERSION}"

started=$(date +%s)
if [[ ! -x "$cache/node_modules/.bin/deno" || ! -x "$cache/node_modules/.bin/bun" ]]; then
  echo "installing deno@${DENO_VERSION} and bun@${BUN_VERSION} into $cache"
  rm -rf "$cache.tmp"
  mkdir -p "$cache.tmp"
  echo '{"private":true}' >"$cache.tmp/package.json"
  npm install --prefix "$cache.tmp" --no-audit --no-fund --loglevel=error \
    "deno@${DENO_VERSION}" "bun@${BUN_VERSION}"
  rm -rf "$cache"
  mv "$cache.tmp" "$cache"
fi
export NRP_DENO="$cache/node_modules/.bin/deno"
export NRP_BUN="$cache/node_modules/.bin/bun"

chromium="${NRP_CHROMIUM:-$(command -v chromium || true)}"
if [[ -z "$chromium" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "chromium is missing: install Debian's chromium (apt-get install chromium) or set NRP_CHROMIUM" >&2
    exit 1
  fi
  echo "installing chromium with apt"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  chromium="$(command -v chromium)"
fi
export NRP_CHROMIUM="$chromium"
echo "runtimes: $("$NRP_DENO" --version | head -1), bun $("$NRP_BUN" --version), $("$NRP_CHROMIUM" --version 2>/dev/null)"
echo "runtime setup took $(($(date +%s) - started)) s"

npx vitest run --config test/runtimes/vitest.config.ts "$@"
