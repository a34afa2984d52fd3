#!/usr/bin/env bash
# Runs the conformance suite against a real InvenioRDM 13: set up (or reuse the cached install),
# start a fresh instance, run `vitest run test/conformance` with NRP_CONFORMANCE_TARGET pointing at
# it, stop it (also on failure or Ctrl-C), and print how long each phase took.
# Extra arguments go to vitest (e.g. `npm run test:real -- -t publish`).
#
# It runs in a state directory of its own ($NRP_RDM_CACHE/test-run) and, unless the ports are
# given through NRP_RDM_*_PORT, on free ports in 5180-5279, 54429-54528, 6489-6588 and 9260-9299,
# so it does not collide with an instance started by hand with start.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [[ ! -d test/conformance ]]; then
  echo "[invenio-rdm] test/conformance does not exist: there is no conformance suite to run" >&2
  exit 1
fi

: "${NRP_RDM_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/nrp-invenio-rdm13}"
: "${NRP_RDM_STATE:=$NRP_RDM_CACHE/test-run}"
export NRP_RDM_CACHE NRP_RDM_STATE

# free_port FIRST LAST: a port in FIRST..LAST nobody listens on (127.0.0.1), scanning from a
# random point so that two runs started together are unlikely to pick the same one.
free_port() {
  local span=$(($2 - $1 + 1)) offset i port
  offset=$((RANDOM % span))
  for ((i = 0; i < span; i++)); do
    port=$(($1 + (offset + i) % span))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  echo "[invenio-rdm] error: no free port in $1-$2" >&2
  return 1
}
: "${NRP_RDM_APP_PORT:=$(free_port 5180 5279)}"
: "${NRP_RDM_PG_PORT:=$(free_port 54429 54528)}"
: "${NRP_RDM_REDIS_PORT:=$(free_port 6489 6588)}"
: "${NRP_RDM_SEARCH_PORT:=$(free_port 9260 9299)}"
export NRP_RDM_APP_PORT NRP_RDM_PG_PORT NRP_RDM_REDIS_PORT NRP_RDM_SEARCH_PORT

# shellcheck source=scripts/invenio-rdm/timing.sh
. "$here/timing.sh"

t0=$(run_now)
setup_out="$("$here/setup.sh")" || exit $?
t_setup=$(run_now)
if grep -q '^venv: built' <<<"$setup_out"; then venv_state="cold: venv built"; else venv_state="warm: venv reused"; fi

t_started=""
t_tests=""
status=0
finish() {
  local rc=$?
  trap - EXIT INT TERM
  ((status == 0)) && status=$rc
  if ((status == 0)); then
    "$here/stop.sh" --remove-data || status=1
  else
    "$here/stop.sh" --keep-data || true
    echo "[invenio-rdm] the server's logs are kept in $NRP_RDM_STATE/logs" >&2
  fi
  run_summary invenio-rdm "$venv_state" "$t0" "$t_setup" "$t_started" "$t_tests"
  exit "$status"
}
trap finish EXIT
trap 'status=130; exit 130' INT
trap 'status=143; exit 143' TERM

target="$("$here/start.sh" | tail -n1)"
t_started=$(run_now)
[[ -f "$target" ]] || {
  echo "[invenio-rdm] error: start.sh did not report a target file" >&2
  exit 1
}

NRP_CONFORMANCE_TARGET="$target" npx vitest run test/conformance "$@" || status=$?
# The NRP (oarepo) target on the same back-ends (its own database, indices and Redis databases),
# started, tested and stopped by its own script; NRP_REAL_TARGETS=rdm leaves it out.
if [[ " ${NRP_REAL_TARGETS:-rdm nrp} " == *" nrp "* ]]; then
  "$root/scripts/oarepo-nrp/test-real.sh" "$@" || status=$?
fi
t_tests=$(run_now)
exit "$status"
