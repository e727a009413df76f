#!/usr/bin/env bash
# The test command: builds dpm and its tests once, starts a throw-away
# PostgreSQL, and runs the whole Swift test suite against it.
#
#   shell/test.sh                    # everything
#   shell/test.sh --filter Restore   # extra arguments go to `swift test`
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=shell/lib.sh
. shell/lib.sh

dpm_install_deps
python3 shell/bench.py --self-test # the benchmark harness's own checks, without services

log "==> swift build --build-tests"
swift build --build-tests

# A preset DPM_BINARY runs the end-to-end tests against another build (e.g. to see a
# new test fail on the previous commit's binary).
DPM_BINARY="${DPM_BINARY:-$PWD/.build/debug/dpm}"
[[ -x "$DPM_BINARY" ]] || die "swift build did not produce $DPM_BINARY"

pg_cluster_start
moto_start

# The end-to-end tests fail instead of skipping when their services are
# missing, so a broken setup can never pass as "all green".
export DPM_TEST_REQUIRE_SERVICES=1
export DPM_BINARY
# Keep dpm's download cache out of the user's home.
XDG_CACHE_HOME="$(mktemp -d "${TMPDIR:-/tmp}/dpm-test-cache.XXXXXX")"
export XDG_CACHE_HOME
dpm_rm_on_exit "$XDG_CACHE_HOME"

# A TMPDIR of this run's own: dpm cleanup in the tests judges scratch folders in TMPDIR,
# and must not meet those of other test runs on the same machine.
TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/dpm-test-tmp.XXXXXX")"
chmod 755 "$TMPDIR"
export TMPDIR
dpm_rm_on_exit "$TMPDIR"

log "==> swift test --skip-build $*"
status=0
swift test --skip-build "$@" || status=$?
exit "$status"
