# shellcheck shell=bash
# Shared helpers for dpm's shell layer: dependency setup, a throw-away
# PostgreSQL cluster, cleanup on exit, and locating the dpm binary.
#
# Source it from a script that runs `set -euo pipefail`:
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here is bounded (no endless waits) and every resource it creates
# is registered with dpm_on_exit, so it is removed whatever happens.

if [[ -n "${_DPM_LIB_SOURCED:-}" ]]; then
  return 0
fi
_DPM_LIB_SOURCED=1

DPM_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DPM_REPO_ROOT

# fsync for the test cluster. Off by default: the cluster is thrown away and
# tests get much faster. bench.sh uses the same setting for the baseline and
# for dpm, so comparisons stay fair (and it says so in its output).
: "${DPM_PG_FSYNC:=off}"
# Seconds to wait for the server to accept connections.
: "${DPM_PG_START_TIMEOUT:=30}"

log() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------
# Cleanup stack. Commands run in reverse order of registration, once, on
# EXIT, INT or TERM; a failing cleanup command does not stop the others.
# ---------------------------------------------------------------------------
_DPM_CLEANUP=()
_DPM_CLEANUP_DONE=0

dpm_on_exit() {
  _DPM_CLEANUP+=("$1")
}

# Removes PATH (file or folder) on exit.
dpm_rm_on_exit() {
  dpm_on_exit "rm -rf $(printf '%q' "$1")"
}

_dpm_run_cleanup() {
  local status=$?
  if ((_DPM_CLEANUP_DONE)); then
    return "$status"
  fi
  _DPM_CLEANUP_DONE=1
  set +e
  local i
  for ((i = ${#_DPM_CLEANUP[@]} - 1; i >= 0; i--)); do
    eval "${_DPM_CLEANUP[i]}"
  done
  return "$status"
}

# EXIT keeps the script's own exit status; on a signal we exit with 128+N
# after cleaning up (the EXIT trap then finds the work already done).
trap _dpm_run_cleanup EXIT
trap '_dpm_run_cleanup; exit 130' INT
trap '_dpm_run_cleanup; exit 143' TERM

# ---------------------------------------------------------------------------
# Dependencies
# ---------------------------------------------------------------------------
DPM_DEBIAN_PACKAGES=(
  postgresql postgresql-client libpq-dev libcurl4-openssl-dev
  libarchive-dev libzstd-dev zlib1g-dev zstd time curl age
)

_dpm_apt_updated=0
_dpm_apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if ((!_dpm_apt_updated)); then
    log "==> apt-get update"
    apt-get update -q >/dev/null || die "apt-get update failed"
    _dpm_apt_updated=1
  fi
  log "==> apt-get install $*"
  local out
  out="$(mktemp)"
  if ! apt-get install -y -q --no-install-recommends "$@" >"$out" 2>&1; then
    cat "$out" >&2
    rm -f "$out"
    die "apt-get install $* failed"
  fi
  rm -f "$out"
}

_dpm_pkg_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

# Installs what the build, the tests, the demo and the benchmark need.
# Quiet and quick when everything is already there.
dpm_install_deps() {
  local missing=() p
  for p in "${DPM_DEBIAN_PACKAGES[@]}"; do
    _dpm_pkg_installed "$p" || missing+=("$p")
  done
  if ! command -v python3 >/dev/null 2>&1; then
    missing+=(python3)
  fi
  if ((${#missing[@]})); then
    _dpm_apt_install "${missing[@]}"
  fi

  # moto's S3 server is the loopback S3 endpoint for the S3 store tests.
  # `command -v` is not enough: a pyenv shim can exist for another Python.
  if ! moto_server --help >/dev/null 2>&1; then
    if ! python3 -m pip --version >/dev/null 2>&1; then
      _dpm_apt_install python3-pip
    fi
    log "==> pip install moto[server]"
    # Debian's own python3 is "externally managed" (PEP 668); a pyenv or venv
    # python is not. Try the plain install first.
    python3 -m pip install -q 'moto[server]' 2>/dev/null ||
      python3 -m pip install -q --break-system-packages 'moto[server]'
    hash -r
    if ! moto_server --help >/dev/null 2>&1; then
      log "warning: moto[server] installed but moto_server is not on PATH ($(python3 -m site --user-base 2>/dev/null)/bin?)"
    fi
  fi
}

# The AWS CLI, the baseline of the S3 benchmark (pip package awscli).
dpm_install_awscli() {
  if ! aws --version >/dev/null 2>&1; then
    log "==> pip install awscli"
    python3 -m pip install -q awscli 2>/dev/null ||
      python3 -m pip install -q --break-system-packages awscli
    hash -r
    aws --version >/dev/null 2>&1 || die "awscli installed but aws is not on PATH"
  fi
}

# ---------------------------------------------------------------------------
# Throw-away PostgreSQL cluster
# ---------------------------------------------------------------------------

# The server binaries (initdb, pg_ctl, postgres) are not on PATH on Debian.
dpm_pg_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then
    printf '%s\n' "$PG_BINDIR"
    return
  fi
  # Version-sort (15 < 16 < 100) in case several servers are installed.
  local d best
  best="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | while read -r d; do
    if [[ -x "$d/initdb" ]]; then printf '%s\n' "$d"; fi
  done | tail -n 1)"
  [[ -n "$best" ]] || die "no PostgreSQL server found under /usr/lib/postgresql (run dpm_install_deps)"
  printf '%s\n' "$best"
}

_dpm_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Runs a command as the postgres user (initdb refuses to run as root), from a
# directory postgres can read so it does not complain about the cwd.
_dpm_as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then
    (cd "$DPM_PG_DIR" && runuser -u postgres -- "$@")
  else
    (cd "$DPM_PG_DIR" && "$@")
  fi
}

DPM_PG_DIR=""
_DPM_PG_STARTED=0

# Starts a fresh cluster in a temp folder and exports PGHOST, PGPORT, PGUSER,
# PGDATABASE for it. Registers pg_cluster_stop on exit.
pg_cluster_start() {
  local bindir
  bindir="$(dpm_pg_bindir)"
  # Not under $TMPDIR: the postgres user must be able to reach the folder,
  # and the socket path must stay short (at most 107 bytes).
  DPM_PG_DIR="$(mktemp -d "${DPM_PG_TMPDIR:-/tmp}/dpm-pg.XXXXXX")"
  # Register before anything else so a failure halfway still cleans up.
  dpm_on_exit pg_cluster_stop
  mkdir -p "$DPM_PG_DIR/data" "$DPM_PG_DIR/sock"
  if [[ "$(id -u)" == 0 ]]; then
    chown -R postgres: "$DPM_PG_DIR"
  fi
  chmod 700 "$DPM_PG_DIR/data"
  # The socket folder must be reachable by whoever runs psql/dpm: root
  # always can; 755 also lets other local users in.
  chmod 755 "$DPM_PG_DIR" "$DPM_PG_DIR/sock"

  _dpm_as_postgres "$bindir/initdb" -D "$DPM_PG_DIR/data" -U postgres -A trust \
    --no-sync -E UTF8 --locale=C.UTF-8 >"$DPM_PG_DIR/initdb.log" 2>&1 || {
    cat "$DPM_PG_DIR/initdb.log" >&2
    die "initdb failed"
  }

  # A free port is found by binding port 0; another process could take it
  # before the server does, so retry a few times on a start failure.
  local attempt port="" ok=0
  for attempt in 1 2 3; do
    port="$(_dpm_free_port)"
    if _dpm_as_postgres "$bindir/pg_ctl" -D "$DPM_PG_DIR/data" -l "$DPM_PG_DIR/server.log" \
      -w -t "$DPM_PG_START_TIMEOUT" start \
      -o "-k $DPM_PG_DIR/sock -p $port -c listen_addresses=127.0.0.1 -c fsync=$DPM_PG_FSYNC -c max_connections=100" \
      >/dev/null 2>&1; then
      ok=1
      break
    fi
    log "pg_ctl start failed (attempt $attempt, port $port)"
    _dpm_as_postgres "$bindir/pg_ctl" -D "$DPM_PG_DIR/data" stop -m immediate >/dev/null 2>&1 || true
  done
  if ((!ok)); then
    tail -n 30 "$DPM_PG_DIR/server.log" >&2 2>/dev/null || true
    die "could not start PostgreSQL"
  fi
  _DPM_PG_STARTED=1

  export PGHOST="$DPM_PG_DIR/sock" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
  # Variables a caller may have set that would point libpq elsewhere.
  unset PGSERVICE PGHOSTADDR PGPASSWORD PGOPTIONS 2>/dev/null || true

  local deadline=$((SECONDS + DPM_PG_START_TIMEOUT))
  until "$bindir/pg_isready" -q -h "$PGHOST" -p "$PGPORT" -t 2; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$DPM_PG_DIR/server.log" >&2 || true
      die "PostgreSQL did not become ready within ${DPM_PG_START_TIMEOUT}s"
    fi
    sleep 0.2
  done
  # Prove that this user can actually connect through the socket folder.
  psql -X -q -At -c 'select 1' >/dev/null || die "cannot connect to the test cluster at $PGHOST:$PGPORT"
  log "==> PostgreSQL $(psql -X -At -c 'show server_version') on port $PGPORT (socket $PGHOST, fsync=$DPM_PG_FSYNC)"
}

# Stops the cluster and removes its folder. Safe to call twice, and safe if
# pg_cluster_start failed at any point.
pg_cluster_stop() {
  if [[ -z "$DPM_PG_DIR" ]]; then
    return 0
  fi
  if ((_DPM_PG_STARTED)) || [[ -f "$DPM_PG_DIR/data/postmaster.pid" ]]; then
    local bindir
    bindir="$(dpm_pg_bindir)"
    _dpm_as_postgres "$bindir/pg_ctl" -D "$DPM_PG_DIR/data" -w -t 30 stop -m fast >/dev/null 2>&1 ||
      _dpm_as_postgres "$bindir/pg_ctl" -D "$DPM_PG_DIR/data" stop -m immediate >/dev/null 2>&1 || true
  fi
  rm -rf "$DPM_PG_DIR"
  DPM_PG_DIR=""
  _DPM_PG_STARTED=0
}

# ---------------------------------------------------------------------------
# A loopback S3 endpoint (moto_server)
# ---------------------------------------------------------------------------
DPM_MOTO_PID=""

# Starts moto_server on a free loopback port and exports DPM_TEST_S3_ENDPOINT.
# Registers moto_stop on exit.
moto_start() {
  local port log deadline
  log="$(mktemp "${TMPDIR:-/tmp}/dpm-moto.XXXXXX")"
  dpm_rm_on_exit "$log"
  dpm_on_exit moto_stop
  port="$(_dpm_free_port)"
  moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  DPM_MOTO_PID=$!
  deadline=$((SECONDS + 30))
  until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
    if ! kill -0 "$DPM_MOTO_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      tail -n 20 "$log" >&2 || true
      die "moto_server did not start on 127.0.0.1:$port"
    fi
    sleep 0.2
  done
  export DPM_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  log "==> moto_server (S3) on $DPM_TEST_S3_ENDPOINT"
}

moto_stop() {
  if [[ -n "$DPM_MOTO_PID" ]]; then
    kill "$DPM_MOTO_PID" 2>/dev/null || true
    wait "$DPM_MOTO_PID" 2>/dev/null || true
    DPM_MOTO_PID=""
  fi
}

# ---------------------------------------------------------------------------
# The dpm binary
# ---------------------------------------------------------------------------

# Sets DPM_BIN to an absolute path of a runnable dpm. Uses $DPM_BIN when the
# caller set it; otherwise builds it with SwiftPM in the given configuration
# (release | debug) and uses the result.
dpm_locate_bin() {
  local config="${1:-release}"
  if [[ -n "${DPM_BIN:-}" ]]; then
    [[ -x "$DPM_BIN" ]] || die "DPM_BIN=$DPM_BIN is not an executable file"
    DPM_BIN="$(cd "$(dirname "$DPM_BIN")" && pwd)/$(basename "$DPM_BIN")"
  else
    log "==> swift build -c $config --product dpm"
    (cd "$DPM_REPO_ROOT" && swift build -c "$config" --product dpm) ||
      die "building dpm failed"
    DPM_BIN="$DPM_REPO_ROOT/.build/$config/dpm"
    [[ -x "$DPM_BIN" ]] || die "the build did not produce $DPM_BIN"
  fi
  export DPM_BIN
}

