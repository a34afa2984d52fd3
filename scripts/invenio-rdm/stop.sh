#!/usr/bin/env bash
# Stops the InvenioRDM started by start.sh: every process by its recorded PID (celery, gunicorn,
# OpenSearch, Redis, PostgreSQL), waiting for each to exit. Data and logs are kept unless
# --remove-data is given (the next start recreates everything anyway).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<USAGE
usage: scripts/invenio-rdm/stop.sh [--keep-data | --remove-data]
  --keep-data    keep the state directory and the PostgreSQL cluster (default; logs stay readable)
  --remove-data  also delete them
state directory: $NRP_RDM_STATE
USAGE
}

remove=0
for arg in "$@"; do
  case "$arg" in
    --keep-data) remove=0 ;;
    --remove-data) remove=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      usage >&2
      exit 2
      ;;
  esac
done

if [[ ! -d "$NRP_RDM_STATE" ]]; then
  rdm_log "nothing to stop: no state directory at $NRP_RDM_STATE"
  exit 0
fi
rdm_stop_all
if rdm_any_running; then
  rdm_die "some processes are still running; see the PIDs in $RDM_RUN"
fi
rdm_log "stopped"

if ((remove)); then
  pg_base="$(cat "$RDM_RUN/postgres.dir" 2>/dev/null || true)"
  if [[ -n "$pg_base" && -f "$pg_base/data/PG_VERSION" ]]; then
    rm -rf "$pg_base"
  fi
  if rdm_state_removable; then
    rm -rf "$NRP_RDM_STATE"
    rdm_log "data removed"
  else
    rdm_die "$NRP_RDM_STATE is not a state directory of these scripts; not removing it"
  fi
fi
