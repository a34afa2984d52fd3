#!/usr/bin/env bash
# Installs what a real NRP (oarepo) repository needs on this machine, outside the clone:
#   - a server venv: upstream InvenioRDM 13 (pinned by the RDM 13 constraints) plus the oarepo
#     server libraries of the NRP 12/13 line, installed with --no-deps (oarepo-pins.txt);
#   - a builder venv with oarepo-model-builder and its plugins (builder-pins.txt);
#   - the model (model.yaml) compiled by the builder into a Python package, installed into the
#     server venv.
# Each is cached under $NRP_OAREPO_CACHE, keyed on a hash of what it is built from, so a second
# run reuses them in seconds. The back-ends (PostgreSQL, Redis, OpenSearch) are the InvenioRDM
# scripts': phase `backends` runs `scripts/invenio-rdm/setup.sh services` (Debian packages and
# the OpenSearch runner, not the RDM venv); start.sh starts them.
#
# Usage: scripts/oarepo-nrp/setup.sh [backends|venv|builder|compile|model|all]   (default: all)
# Prints the server venv's path on its last line.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=scripts/oarepo-nrp/common.sh
. "$here/common.sh"

phase="${1:-all}"

# Creates a venv with Python 3.12 and current packaging tools.
make_venv() {
  local dir="$1"
  "$NRP_OAREPO_PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install -q -U pip "setuptools<82" wheel
}

# Server venv: InvenioRDM 13 from PyPI with the RDM constraints, then the oarepo libraries.
phase_venv() {
  if [ -f "$NRP_OAREPO_VENV/.complete" ]; then
    log "server venv cached: $NRP_OAREPO_VENV"
    return
  fi
  local t0=$SECONDS pip_log="$NRP_OAREPO_VENV.log"
  mkdir -p "$NRP_OAREPO_CACHE"
  log "server venv: InvenioRDM 13 + oarepo libraries (about a minute; log: $pip_log)"
  # Built at its final path: the scripts in bin/ carry that path in their #! lines.
  rm -rf "$NRP_OAREPO_VENV"
  {
    make_venv "$NRP_OAREPO_VENV" &&
      "$NRP_OAREPO_VENV/bin/python" -m pip install -c "$NRP_OAREPO_CONSTRAINTS" \
        "invenio-app-rdm[opensearch2]~=13.0.0" "setuptools<82" gunicorn &&
      "$NRP_OAREPO_VENV/bin/python" -m pip install --no-deps -r "$here/oarepo-pins.txt" &&
      "$NRP_OAREPO_VENV/bin/python" -m pip install -c "$NRP_OAREPO_CONSTRAINTS" -r "$here/extra-deps.txt" &&
      # Every oarepo module the server loads must import: a missing dependency shows here, not
      # at the first request.
      "$NRP_OAREPO_VENV/bin/python" -c 'import oarepo_runtime, oarepo_requests, oarepo_workflows, oarepo_global_search, oarepo_communities, oarepo_ui, invenio_app_rdm, gunicorn'
  } >"$pip_log" 2>&1 || {
    tail -n 20 "$pip_log" >&2
    rm -rf "$NRP_OAREPO_VENV"
    die "server venv failed (log: $pip_log)"
  }
  touch "$NRP_OAREPO_VENV/.complete"
  log "server venv ready in $((SECONDS - t0)) s"
}

# Builder venv: oarepo-model-builder and plugins, pinned with their dependencies.
phase_builder() {
  if [ -f "$NRP_OAREPO_BUILDER/.complete" ]; then
    log "builder venv cached: $NRP_OAREPO_BUILDER"
    return
  fi
  local t0=$SECONDS pip_log="$NRP_OAREPO_BUILDER.log"
  mkdir -p "$NRP_OAREPO_CACHE"
  log "builder venv: oarepo-model-builder (log: $pip_log)"
  rm -rf "$NRP_OAREPO_BUILDER"
  {
    make_venv "$NRP_OAREPO_BUILDER" &&
      "$NRP_OAREPO_BUILDER/bin/python" -m pip install -c "$here/builder-constraints.txt" \
        -r "$here/builder-pins.txt"
  } >"$pip_log" 2>&1 || {
    tail -n 20 "$pip_log" >&2
    rm -rf "$NRP_OAREPO_BUILDER"
    die "builder venv failed (log: $pip_log)"
  }
  touch "$NRP_OAREPO_BUILDER/.complete"
  log "builder venv ready in $((SECONDS - t0)) s"
}

# Compiles model.yaml (cached by the hash of the model and the builder pins).
phase_compile() {
  if [ ! -f "$NRP_OAREPO_MODEL_DIR/.complete" ]; then
    phase_builder
    local t0=$SECONDS tmp="$NRP_OAREPO_MODEL_DIR.tmp"
    rm -rf "$tmp" "$NRP_OAREPO_MODEL_DIR"
    mkdir -p "$tmp"
    cp "$here/model.yaml" "$tmp/model.yaml"
    log "compiling the model ($NRP_OAREPO_MODEL)"
    (cd "$tmp" && "$NRP_OAREPO_BUILDER/bin/oarepo-compile-model" model.yaml \
      --output-directory out --package "$NRP_OAREPO_MODEL" -vvv >compile.log 2>&1) || {
      tail -n 40 "$tmp/compile.log" >&2
      die "model compile failed (log: $tmp/compile.log)"
    }
    mv "$tmp" "$NRP_OAREPO_MODEL_DIR"
    touch "$NRP_OAREPO_MODEL_DIR/.complete"
    log "model compiled in $((SECONDS - t0)) s"
  else
    log "compiled model cached: $NRP_OAREPO_MODEL_DIR"
  fi
}

# Installs the compiled model into the server venv when the venv does not hold that build yet.
phase_model() {
  phase_compile
  if [ "$(cat "$NRP_OAREPO_VENV/.model-hash" 2>/dev/null)" != "$NRP_OAREPO_MODEL_HASH" ]; then
    log "installing the model into the server venv"
    "$NRP_OAREPO_VENV/bin/python" -m pip install -q --no-deps --no-build-isolation \
      --force-reinstall "$NRP_OAREPO_MODEL_DIR/out"
    echo "$NRP_OAREPO_MODEL_HASH" >"$NRP_OAREPO_VENV/.model-hash"
  fi
}

# Debian packages and the OpenSearch runner's classpath, as the InvenioRDM target has them.
phase_backends() {
  bash "$NRP_OAREPO_REPO/scripts/invenio-rdm/setup.sh" services >/dev/null
}

t_start=$SECONDS
case "$phase" in
  venv) phase_venv ;;
  builder) phase_builder ;;
  compile) phase_compile ;;
  model) phase_venv; phase_model ;;
  backends) phase_backends ;;
  all)
    phase_backends
    # The model compiles (builder venv + compile, ~45 s) while the server venv installs.
    phase_compile &
    compile_pid=$!
    phase_venv
    wait "$compile_pid" || die "the model did not compile"
    phase_model
    ;;
  *) die "unknown phase '$phase' (backends, venv, builder, compile, model, all)" ;;
esac
log "setup done in $((SECONDS - t_start)) s"
echo "$NRP_OAREPO_VENV"
