#!/usr/bin/env bash
# Runs the conformance suite against a real NRP (oarepo) repository: set up (or reuse the cached
# venvs and model), start a fresh instance, run `vitest run test/conformance` with
# NRP_CONFORMANCE_TARGET pointing at it, stop it (also on failure or Ctrl-C), and print how long
# each phase took. Extra arguments go to vitest.
#
# Back-ends: when PostgreSQL, Redis and OpenSearch answer on NRP_RDM_{PG,REDIS,SEARCH}_PORT (as
# during scripts/invenio-rdm/test-real.sh, which calls this script), they are shared and left
# running; otherwise they are started on free ports in a state directory of this run and stopped
# at the end.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

[[ -d test/conformance ]] || {
  echo "[oarepo-nrp] test/conformance does not exist: there is no conformance suite to run" >&2
  exit 1
}

: "${NRP_OAREPO_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/nrp-oarepo-nrp}"
: "${NRP_OAREPO_STATE:=$NRP_OAREPO_CACHE/test-run}"
export NRP_OAREPO_CACHE NRP_OAREPO_STATE

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port FIRST LAST: the first port in FIRST..LAST nobody listens on (127.0.0.1).
free_port() {
  local port
  for ((port = $1; port <= $2; port++)); do
    if ! port_open "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  echo "[oarepo-nrp] error: no free port in $1-$2" >&2
  return 1
}
: "${NRP_OAREPO_PORT:=$(free_port 5190 5289)}"
export NRP_OAREPO_PORT

own_backends=0
if [[ -n "${NRP_RDM_PG_PORT:-}" && -n "${NRP_RDM_REDIS_PORT:-}" && -n "${NRP_RDM_SEARCH_PORT:-}" ]] &&
  port_open "$NRP_RDM_PG_PORT" && port_open "$NRP_RDM_REDIS_PORT" && port_open "$NRP_RDM_SEARCH_PORT"; then
  echo "[oarepo-nrp] sharing the running back-ends" >&2
else
  own_backends=1
  : "${NRP_RDM_STATE:=$NRP_OAREPO_CACHE/test-backends}"
  NRP_RDM_PG_PORT="$(free_port 54529 54628)"
  NRP_RDM_REDIS_PORT="$(free_port 6589 6688)"
  NRP_RDM_SEARCH_PORT="$(free_port 9270 9299)"
  export NRP_RDM_STATE NRP_RDM_PG_PORT NRP_RDM_REDIS_PORT NRP_RDM_SEARCH_PORT
fi

# shellcheck source=scripts/invenio-rdm/timing.sh
. "$root/scripts/invenio-rdm/timing.sh"

t0=$(run_now)
if [[ -f "$(bash -c '. "$1/common.sh"; echo "$NRP_OAREPO_VENV"' _ "$here")/.complete" ]]; then
  venv_state="warm: venv reused"
else
  venv_state="cold: venv built"
fi
"$here/setup.sh" >/dev/null
t_setup=$(run_now)

t_started=""
t_tests=""
status=0
finish() {
  local rc=$?
  trap - EXIT INT TERM
  ((status == 0)) && status=$rc
  "$here/stop.sh" || status=1
  if ((own_backends)); then
    "$root/scripts/invenio-rdm/stop.sh" --remove-data || status=1
  fi
  run_summary oarepo-nrp "$venv_state" "$t0" "$t_setup" "$t_started" "$t_tests"
  exit "$status"
}
trap finish EXIT
trap 'status=130; exit 130' INT
trap 'status=143; exit 143' TERM

target="$("$here/start.sh" | tail -n1)"
t_started=$(run_now)
[[ -f "$target" ]] || {
  echo "[oarepo-nrp] error: start.sh did not report a target file" >&2
  exit 1
}

NRP_CONFORMANCE_TARGET="$target" npx vitest run test/conformance "$@" || status=$?
t_tests=$(run_now)
exit "$status"
