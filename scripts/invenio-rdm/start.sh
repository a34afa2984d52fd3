#!/usr/bin/env bash
# Starts a fresh InvenioRDM 13 on loopback: PostgreSQL, Redis, OpenSearch, then initialises the
# instance (database, indices, reduced vocabularies, users with tokens, a community with a
# curator) and starts gunicorn and a celery worker. Data is recreated on every start.
# When it serves, writes $NRP_RDM_STATE/target.json (the conformance target) and prints its path.
# Needs scripts/invenio-rdm/setup.sh to have run. On failure everything started is stopped and
# the logs stay in $NRP_RDM_STATE/logs. `start.sh services` starts only PostgreSQL, Redis and
# OpenSearch.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode="${1:-all}"
[[ "$mode" == all || "$mode" == services ]] || rdm_die "usage: scripts/invenio-rdm/start.sh [services]"
t_start=$(rdm_now)
if [[ "$mode" == all ]]; then
  venv="$(rdm_venv)" || rdm_die "no Python 3.12 or 3.11 found; run scripts/invenio-rdm/setup.sh"
  [[ -f "$venv/.complete" ]] || rdm_die "no virtualenv for these pins at $venv; run scripts/invenio-rdm/setup.sh"
fi
classpath_file="$(rdm_classpath_file)"
[[ -s "$classpath_file" ]] || rdm_die "no OpenSearch classpath at $classpath_file; run scripts/invenio-rdm/setup.sh"
pg_bin=/usr/lib/postgresql/15/bin
[[ -x "$pg_bin/initdb" ]] || rdm_die "PostgreSQL 15 is not installed; run scripts/invenio-rdm/setup.sh"

# --- Preconditions -----------------------------------------------------------------------------
if rdm_any_running; then
  rdm_die "an instance is already running from $NRP_RDM_STATE; stop it with scripts/invenio-rdm/stop.sh"
fi
for spec in "APP:$NRP_RDM_APP_PORT" "PG:$NRP_RDM_PG_PORT" "REDIS:$NRP_RDM_REDIS_PORT" "SEARCH:$NRP_RDM_SEARCH_PORT"; do
  [[ "${spec#*:}" =~ ^[0-9]+$ ]] || rdm_die "NRP_RDM_${spec%%:*}_PORT is not a port number: ${spec#*:}"
done
if ((NRP_RDM_SEARCH_PORT < 9200 || NRP_RDM_SEARCH_PORT > 9299)); then
  # The OpenSearch runner only binds HTTP ports 9200-9299 (above, it exits without a word).
  rdm_die "NRP_RDM_SEARCH_PORT must be within 9200-9299 (is $NRP_RDM_SEARCH_PORT)"
fi
for spec in "APP:$NRP_RDM_APP_PORT" "PG:$NRP_RDM_PG_PORT" "REDIS:$NRP_RDM_REDIS_PORT" "SEARCH:$NRP_RDM_SEARCH_PORT"; do
  [[ "$mode" == services && "${spec%%:*}" == APP ]] && continue
  if rdm_port_busy "${spec#*:}"; then
    rdm_die "port ${spec#*:} is in use on 127.0.0.1; free it or choose another with NRP_RDM_${spec%%:*}_PORT"
  fi
done
rdm_state_removable || rdm_die "$NRP_RDM_STATE exists and is not a state directory of these scripts; choose another NRP_RDM_STATE"

# --- Fresh state directory ---------------------------------------------------------------------
# The previous instance's database cluster may live elsewhere (another port, the postgres home).
old_pg="$(cat "$RDM_RUN/postgres.dir" 2>/dev/null || true)"
if [[ -n "$old_pg" && -f "$old_pg/data/PG_VERSION" && ! -f "$old_pg/data/postmaster.pid" ]]; then
  rm -rf "$old_pg"
fi
rm -rf "$NRP_RDM_STATE"
mkdir -p "$RDM_RUN" "$RDM_LOGS" "$NRP_RDM_STATE/instance/data" "$NRP_RDM_STATE/redis" "$NRP_RDM_STATE/celery"
touch "$NRP_RDM_STATE/$RDM_STATE_MARK"
chmod 700 "$NRP_RDM_STATE"

started=0
on_exit() {
  local status=$?
  if ((started == 0)); then
    trap - EXIT INT TERM
    rdm_log "start failed; stopping what was started"
    rdm_stop_all || true
    printf '[invenio-rdm] logs: %s\n' "$RDM_LOGS" >&2
    exit "$((status == 0 ? 1 : status))"
  fi
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# rdm_wait WHAT NAME SECONDS TEST...: polls TEST until it succeeds; fails as soon as the process
# started as NAME (see rdm_spawn) has exited, or after SECONDS.
rdm_wait() {
  local what="$1" name="$2" seconds="$3" pid i
  shift 3
  pid="$(cat "$RDM_RUN/$name.pid")"
  for ((i = 0; i < seconds * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! rdm_alive "$pid"; then
      rdm_die "$what exited while starting; see $RDM_LOGS/$name.log"
    fi
    sleep 0.5
  done
  rdm_die "$what did not become ready within $seconds s; see $RDM_LOGS/$name.log"
}

# --- PostgreSQL --------------------------------------------------------------------------------
t=$(rdm_now)
pg_base="$(rdm_pg_base)"
as_pg=()
if [[ -e "$pg_base" && ! -f "$pg_base/data/PG_VERSION" && -n "$(ls -A "$pg_base")" ]]; then
  rdm_die "$pg_base exists and is not a PostgreSQL cluster of these scripts; set NRP_RDM_PG_DIR"
fi
rm -rf "$pg_base"
mkdir -p "$pg_base"
if [[ "$(id -u)" == 0 ]]; then
  as_pg=(runuser -u postgres --)
  chown postgres: "$pg_base"
fi
printf '%s\n' "$pg_base" >"$RDM_RUN/postgres.dir"
ln -s "$pg_base/postgres.log" "$RDM_LOGS/postgres.log"
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_base/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
  >"$RDM_LOGS/initdb.log" 2>&1 || rdm_die "initdb failed; see $RDM_LOGS/initdb.log"
# Throw-away data: no fsync. Unix socket in the cluster's directory, TCP on loopback only.
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_base/data" -l "$pg_base/postgres.log" -w -t 60 \
  -o "-p $NRP_RDM_PG_PORT -c listen_addresses=127.0.0.1 -k $pg_base -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >"$RDM_LOGS/pg_ctl.log" 2>&1 || rdm_die "PostgreSQL did not start; see $RDM_LOGS/postgres.log"
head -n1 "$pg_base/data/postmaster.pid" >"$RDM_RUN/postgres.pid"
rdm_listens postgres "$NRP_RDM_PG_PORT" ||
  rdm_die "another program took port $NRP_RDM_PG_PORT while PostgreSQL started; see $RDM_LOGS/postgres.log"
psql=(psql -X -q -h 127.0.0.1 -p "$NRP_RDM_PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
"${psql[@]}" -c "CREATE ROLE invenio LOGIN SUPERUSER PASSWORD 'invenio'" \
  -c "CREATE DATABASE invenio OWNER invenio" >>"$RDM_LOGS/pg_ctl.log" 2>&1 ||
  rdm_die "could not create the invenio database; see $RDM_LOGS/pg_ctl.log"
rdm_log "postgres: up on 127.0.0.1:$NRP_RDM_PG_PORT ($(rdm_elapsed "$t") s, data in $pg_base)"

# --- Redis -------------------------------------------------------------------------------------
t=$(rdm_now)
rdm_spawn redis redis-server --port "$NRP_RDM_REDIS_PORT" --bind 127.0.0.1 --save '' \
  --appendonly no --dir "$NRP_RDM_STATE/redis" --daemonize no
redis_ping() {
  rdm_listens redis "$NRP_RDM_REDIS_PORT" &&
    [[ "$(redis-cli -h 127.0.0.1 -p "$NRP_RDM_REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}
rdm_wait redis redis 20 redis_ping
rdm_log "redis: up on 127.0.0.1:$NRP_RDM_REDIS_PORT ($(rdm_elapsed "$t") s)"

# --- OpenSearch --------------------------------------------------------------------------------
t=$(rdm_now)
cluster="nrp-rdm13-$NRP_RDM_SEARCH_PORT-$$"
os_base="$NRP_RDM_STATE/opensearch"
mkdir -p "$os_base/node_1/config" "$os_base/tmp"
cat >"$os_base/node_1/config/opensearch.yml" <<EOF
discovery.type: single-node
network.host: 127.0.0.1
cluster.routing.allocation.disk.threshold_enabled: false
EOF
rdm_spawn opensearch java "-Xms$NRP_RDM_SEARCH_HEAP" "-Xmx$NRP_RDM_SEARCH_HEAP" \
  -Djava.io.tmpdir="$os_base/tmp" -cp "$(cat "$classpath_file")" \
  org.codelibs.opensearch.runner.OpenSearchRunner -basePath "$os_base" -numOfNode 1 \
  -baseHttpPort "$((NRP_RDM_SEARCH_PORT - 1))" -clusterName "$cluster" -printOnFailure
search_url="http://127.0.0.1:$NRP_RDM_SEARCH_PORT"
# The runner moves to the next free port without a word when its port is taken: only an answer
# with our cluster name counts.
search_ready() {
  rdm_listens opensearch "$NRP_RDM_SEARCH_PORT" &&
    curl -fsS --max-time 10 "$search_url/_cluster/health?wait_for_status=yellow&timeout=5s" |
      grep -q "\"cluster_name\":\"$cluster\""
}
rdm_wait opensearch opensearch 120 search_ready
rdm_log "opensearch: up on $search_url ($(rdm_elapsed "$t") s)"

# `start.sh services` stops here: the back-ends alone, for other targets that share them
# (scripts/oarepo-nrp, with a database, index prefix and Redis databases of their own).
if [[ "$mode" == services ]]; then
  started=1
  rdm_log "back-ends ready in $(rdm_elapsed "$t_start") s (stop with scripts/invenio-rdm/stop.sh)"
  exit 0
fi

# --- Instance ----------------------------------------------------------------------------------
origin="http://127.0.0.1:$NRP_RDM_APP_PORT"
instance="$NRP_RDM_STATE/instance"
redis_url="redis://127.0.0.1:$NRP_RDM_REDIS_PORT"
{
  cat <<EOF
# Generated by scripts/invenio-rdm/start.sh: a throw-away InvenioRDM 13 on loopback.
SECRET_KEY = "$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
SECURITY_PASSWORD_SALT = "$(head -c 16 /dev/urandom | base64 | tr -d '/+=')"
# Links in every response body are built from these, not from the Host header.
SITE_UI_URL = "$origin"
SITE_API_URL = "$origin/api"
THEME_SITENAME = "InvenioRDM (conformance)"

SQLALCHEMY_DATABASE_URI = "postgresql+psycopg2://invenio:invenio@127.0.0.1:$NRP_RDM_PG_PORT/invenio"
SEARCH_HOSTS = [{"host": "127.0.0.1", "port": $NRP_RDM_SEARCH_PORT}]
SEARCH_INDEX_PREFIX = "nrp-rdm13-"

CACHE_REDIS_URL = "$redis_url/0"
IIIF_CACHE_REDIS_URL = "$redis_url/0"
ACCOUNTS_SESSION_REDIS_URL = "$redis_url/1"
CELERY_RESULT_BACKEND = "$redis_url/2"
RATELIMIT_STORAGE_URI = "$redis_url/3"
RATELIMIT_STORAGE_URL = RATELIMIT_STORAGE_URI
COMMUNITIES_IDENTITIES_CACHE_REDIS_URL = "$redis_url/4"
BROKER_URL = "$redis_url/5"
CELERY_BROKER_URL = BROKER_URL
QUEUES_BROKER_URL = BROKER_URL
EOF
  cat "$NRP_RDM_DIR/loopback.cfg"
} >"$instance/invenio.cfg"
export INVENIO_INSTANCE_PATH="$instance"
cd "$instance"

# --- Initialisation (one application boot) -----------------------------------------------------
t=$(rdm_now)
rdm_log "init: database, indices, vocabularies, users, community (about 90 s; log: $RDM_LOGS/init.log)"
if ! "$venv/bin/python" "$NRP_RDM_DIR/init_instance.py" "$RDM_RUN/init.json" 2>&1 |
  tee "$RDM_LOGS/init.log" | sed -un 's/^\[init \(.*\)/[invenio-rdm init \1/p' >&2; then
  rdm_die "initialisation failed; see $RDM_LOGS/init.log"
fi
rdm_log "init: done in $(rdm_elapsed "$t") s"

# --- Application and worker --------------------------------------------------------------------
t=$(rdm_now)
rdm_spawn app "$venv/bin/gunicorn" invenio_app.wsgi:application \
  --bind "127.0.0.1:$NRP_RDM_APP_PORT" --worker-class gthread --workers "$NRP_RDM_WORKERS" \
  --threads "$NRP_RDM_THREADS" --timeout 600 --graceful-timeout 15 \
  --access-logfile - --error-logfile -
rdm_spawn celery "$venv/bin/celery" -A invenio_app.celery worker -B -c 1 --loglevel=INFO \
  -s "$NRP_RDM_STATE/celery/beat-schedule"
app_ready() {
  rdm_listens app "$NRP_RDM_APP_PORT" &&
    curl -fsS --max-time 30 "$origin/" | grep -q '<meta name="generator" content="InvenioRDM 13' &&
    curl -fsS --max-time 30 -o /dev/null "$origin/api/records"
}
rdm_wait "the application (gunicorn)" app 180 app_ready
rdm_alive "$(rdm_pid celery)" || rdm_die "the celery worker exited; see $RDM_LOGS/celery.log"
rdm_log "app: serving on $origin ($(rdm_elapsed "$t") s)"

# --- target.json -------------------------------------------------------------------------------
target="$NRP_RDM_STATE/target.json"
"$venv/bin/python" - "$RDM_RUN/init.json" "$target" "$origin" <<'EOF'
import json, os, sys

init, target, origin = sys.argv[1:4]
with open(init, encoding="utf-8") as f:
    data = json.load(f)
doc = {
    "name": "invenio-rdm13",
    "flavour": "rdm",
    "url": origin,
    "verify": True,
    "model": "records",
    "tokens": data["tokens"],
    "community": data["community"],
}
fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")
EOF
if [[ -n "${NRP_RDM_PUBLISH_TARGET:-}" ]]; then
  install -m 600 "$target" "$NRP_RDM_PUBLISH_TARGET"
  rdm_log "target copied to $NRP_RDM_PUBLISH_TARGET"
fi
started=1
rdm_log "ready in $(rdm_elapsed "$t_start") s: $origin (stop with scripts/invenio-rdm/stop.sh)"
printf '%s\n' "$target"
