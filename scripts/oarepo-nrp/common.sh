# Shared settings of the oarepo-nrp scripts (sourced, not run). Every value can be overridden
# from the environment.

NRP_OAREPO_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NRP_OAREPO_REPO="$(cd "$NRP_OAREPO_SCRIPTS/../.." && pwd)"

log() { printf '[oarepo-nrp] %s\n' "$*" >&2; }
die() {
  printf '[oarepo-nrp] error: %s\n' "$*" >&2
  exit 1
}

# Python 3.12: the NRP 12/13 line of the oarepo libraries is published for it.
if [ -z "${NRP_OAREPO_PYTHON:-}" ]; then
  if command -v python3.12 >/dev/null 2>&1 && python3.12 -c '' 2>/dev/null; then
    NRP_OAREPO_PYTHON="$(command -v python3.12)"
  elif command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv prefix 3.12 2>/dev/null)/bin/python3.12" ]; then
    NRP_OAREPO_PYTHON="$(pyenv prefix 3.12)/bin/python3.12"
  else
    NRP_OAREPO_PYTHON=""
  fi
fi

# The pinned InvenioRDM 13 (the same file the InvenioRDM scripts install from).
NRP_OAREPO_CONSTRAINTS="${NRP_OAREPO_CONSTRAINTS:-$NRP_OAREPO_REPO/scripts/invenio-rdm/constraints-rdm13.txt}"
NRP_OAREPO_CACHE="${NRP_OAREPO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nrp-oarepo-nrp}"
# The model's Python package, its REST prefix (/api/<model>/) and its name in /.well-known.
NRP_OAREPO_MODEL="${NRP_OAREPO_MODEL:-simple}"

# Hash of files (content only), short.
_nrp_hash() { cat "$@" | sha256sum | cut -c1-12; }

_py_version="$([ -n "$NRP_OAREPO_PYTHON" ] && "$NRP_OAREPO_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' || echo none)"
NRP_OAREPO_VENV_HASH="$(
  {
    echo "$_py_version"
    cat "$NRP_OAREPO_CONSTRAINTS" "$NRP_OAREPO_SCRIPTS/oarepo-pins.txt" "$NRP_OAREPO_SCRIPTS/extra-deps.txt"
  } | sha256sum | cut -c1-12
)"
NRP_OAREPO_BUILDER_HASH="$({ echo "$_py_version"; cat "$NRP_OAREPO_SCRIPTS/builder-pins.txt" "$NRP_OAREPO_SCRIPTS/builder-constraints.txt"; } | sha256sum | cut -c1-12)"
NRP_OAREPO_MODEL_HASH="$({ echo "$NRP_OAREPO_MODEL $NRP_OAREPO_BUILDER_HASH"; cat "$NRP_OAREPO_SCRIPTS/model.yaml"; } | sha256sum | cut -c1-12)"
NRP_OAREPO_VENV="${NRP_OAREPO_VENV:-$NRP_OAREPO_CACHE/venv-$NRP_OAREPO_VENV_HASH}"
NRP_OAREPO_BUILDER="$NRP_OAREPO_CACHE/builder-$NRP_OAREPO_BUILDER_HASH"
NRP_OAREPO_MODEL_DIR="$NRP_OAREPO_CACHE/model-$NRP_OAREPO_MODEL_HASH"

[ -n "$NRP_OAREPO_PYTHON" ] || die "Python 3.12 not found (set NRP_OAREPO_PYTHON)"
[ -f "$NRP_OAREPO_CONSTRAINTS" ] || die "constraints file not found: $NRP_OAREPO_CONSTRAINTS"

# The running instance.
NRP_OAREPO_STATE="${NRP_OAREPO_STATE:-$NRP_OAREPO_CACHE/state}"
NRP_OAREPO_PORT="${NRP_OAREPO_PORT:-5090}"
NRP_OAREPO_WORKERS="${NRP_OAREPO_WORKERS:-2}"
NRP_OAREPO_THREADS="${NRP_OAREPO_THREADS:-4}"
# Its share of the InvenioRDM target's back-ends.
NRP_OAREPO_DB="${NRP_OAREPO_DB:-nrp_oarepo}"
NRP_OAREPO_INDEX_PREFIX="${NRP_OAREPO_INDEX_PREFIX:-nrp-oarepo-}"
NRP_OAREPO_REDIS_DB_BASE="${NRP_OAREPO_REDIS_DB_BASE:-8}"

# The back-ends are the InvenioRDM scripts': their settings (NRP_RDM_PG_PORT, NRP_RDM_REDIS_PORT,
# NRP_RDM_SEARCH_PORT, NRP_RDM_STATE...) and helpers come from their lib.sh.
# shellcheck source=scripts/invenio-rdm/lib.sh
. "$NRP_OAREPO_REPO/scripts/invenio-rdm/lib.sh"

_nrp_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Makes sure PostgreSQL, Redis and OpenSearch answer: reuses those running (the InvenioRDM
# target's, or back-ends started earlier), or starts them with `invenio-rdm/start.sh services`.
nrp_backends_start() {
  local p up=0
  for p in "$NRP_RDM_PG_PORT" "$NRP_RDM_REDIS_PORT" "$NRP_RDM_SEARCH_PORT"; do
    if _nrp_port_open "$p"; then up=$((up + 1)); fi
  done
  if [ "$up" = 3 ]; then
    log "back-ends: reusing PostgreSQL :$NRP_RDM_PG_PORT, Redis :$NRP_RDM_REDIS_PORT, OpenSearch :$NRP_RDM_SEARCH_PORT"
  elif [ "$up" = 0 ]; then
    log "back-ends: starting them (scripts/invenio-rdm/start.sh services)"
    bash "$NRP_OAREPO_REPO/scripts/invenio-rdm/start.sh" services
  else
    die "only some back-ends answer on ports $NRP_RDM_PG_PORT/$NRP_RDM_REDIS_PORT/$NRP_RDM_SEARCH_PORT; stop them with scripts/invenio-rdm/stop.sh"
  fi
}
