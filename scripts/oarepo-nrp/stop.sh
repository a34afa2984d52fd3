#!/usr/bin/env bash
# Stops the NRP repository started by start.sh (gunicorn, by the PID it recorded). The shared
# back-ends are left running: they are the InvenioRDM scripts' to stop.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/oarepo-nrp/common.sh
. "$here/common.sh"

pidfile="$NRP_OAREPO_STATE/gunicorn.pid"
if [ ! -f "$pidfile" ]; then
  log "not running (no $pidfile)"
  exit 0
fi
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill -TERM "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "gunicorn $pid did not stop in 10 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  log "stopped gunicorn $pid"
else
  log "gunicorn $pid was not running"
fi
rm -f "$pidfile"
