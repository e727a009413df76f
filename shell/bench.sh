#!/usr/bin/env bash
# Benchmark: dpm upload/restore against pg_dump/pg_restore on a generated,
# realistic dataset of about SIZE_MB megabytes.
#
#   shell/bench.sh [SIZE_MB] [--json FILE]
#
# SIZE_MB: default 1024; 50 is a quick smoke test. --json FILE writes every figure
# (each step's rounds, medians, bytes, peak RSS, each target's value and verdict,
# the parameters and versions) to FILE as JSON; the report still goes to stdout.
#
# Environment:
#   DPM_BIN=path         use this dpm instead of building a release one
#   DPM_BENCH_JOBS=N     pass --jobs N to dpm upload and restore
#   DPM_BENCH_BASELINE_ONLY=1
#                        run only the pg_dump/pg_restore steps (says so loudly)
#   DPM_PG_FSYNC=on|off  server fsync (default off; the same for every step)
#   DPM_BENCH_STRICT=1   exit 1 when a target is missed (default: report only)
#   DPM_BENCH_ROUNDS=N   rounds of the restores (alternating baseline and dpm), of the
#                        sanitize step and of the --from-dump step (default 3); their
#                        ratios compare medians
#   DPM_BENCH_S3_MB=N    size of the file moved through S3 (moto) by dpm and by
#                        aws s3 cp (default 500; 0 skips the S3 steps)
#   DPM_BENCH_S3_ROUNDS=N
#                        upload rounds of each S3 variant (default 5)
#   DPM_BENCH_SWITCH=0   skip the switching steps (dpm use / undo between two
#                        cached profiles, on the dataset and on a 100 MB one)
#   DPM_BENCH_SWITCH_ROUNDS=N
#                        timed rounds of each switching step (default 5); the
#                        switching targets compare medians
#   DPM_BENCH_SANITIZE=0 skip the sanitize step (m: dpm upload of a profile with rules
#                        on four columns against the same upload without rules, each
#                        into an empty store; as root also with rules and a 64 MB tmpfs
#                        as TMPDIR, where the upload streams: three reads, no scratch
#                        copy) and the --from-dump step (n: dpm upload --from-dump of
#                        the pg_dump -Fc file against pg_restore of it
#                        into a fresh database and a dpm upload; skipped by itself
#                        when `dpm upload --help` lists no --from-dump)
#   DPM_BENCH_ENCRYPT=0  skip the encryption step (o: dpm upload into an empty
#                        encrypted store against one into an empty plaintext store,
#                        an unchanged re-upload into the encrypted one, and dpm
#                        restore from each, in DPM_BENCH_ROUNDS alternating rounds)
#   DPM_BENCH_VERIFY=0   skip the verify step (p: dpm verify --read-data --all of the
#                        benchmark's store, with its jobs and with -j 1, against zstd -t
#                        and zstd -dc | sha256sum of the same object files, in
#                        DPM_BENCH_ROUNDS alternating rounds; MB/s and their ratios)
#   DPM_BENCH_SCALE=0    skip the store-at-scale step (q: dpm log, dpm verify --all by size
#                        and dpm gc --dry-run of a generated store of 100,000 objects named
#                        by 2,000 records, 10,000 by none, in a file: store and in moto, in
#                        DPM_BENCH_ROUNDS alternating rounds, beside aws s3api
#                        list-objects-v2 of the same keys from moto)
#   DPM_BENCH_SCALE_ONLY=1
#                        run only the store-at-scale step (no dataset, no other step)
#   DPM_BENCH_REFRESH=0  skip the refresh step (r: the dataset uploaded into an empty file:
#                        store; in its biggest table, documents, 1% of the rows updated and
#                        1% new rows inserted; dpm upload again: bytes newly stored, from
#                        --json bytesStored and from the growth of objects/, in % of the first
#                        upload's; then, from moto through a counting HTTP proxy in bench.py,
#                        dpm restore of the first snapshot into an empty download cache and
#                        of the refreshed one: data bytes downloaded, in % of the refreshed
#                        snapshot's stored size; once with the updated rows scattered uniformly
#                        and once in 20 contiguous id ranges)
#   DPM_BENCH_MANY_TABLES=N
#                        tables of the many-tables step (s; default 1200, 0 skips it): a
#                        database of N tables of 300 rows, each with 4 indexes (the primary
#                        key's and 3 more) and a foreign key to the previous table; pg_restore
#                        -j2 of its pg_dump -Fd -Z0 against dpm restore from a file: store in
#                        DPM_BENCH_ROUNDS alternating rounds; then the S3 requests (by method,
#                        data and metadata) of a dpm upload into an empty moto bucket and of a
#                        dpm restore from it with an empty cache, counted by the proxy
#   DPM_BENCH_ONLY=m,r,s run only these steps (any of m, r, s; m and r with the dataset they need)
#
# Every step runs under /usr/bin/time -v for its wall time and peak resident
# set size. RSS is the client's (pg_dump, pg_restore or dpm, including its
# children), not the PostgreSQL server's.
#
# This script sets up what the benchmark needs (packages, a release dpm, a
# throw-away PostgreSQL cluster); shell/bench.py runs the steps and writes the
# report, with the targets in a table at its top.
set -euo pipefail
# A relative --json FILE is the caller's.
export DPM_BENCH_CALLER_DIR="$PWD"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=shell/lib.sh
. shell/lib.sh

dpm_install_deps
# Arguments and settings are checked before a build or a cluster is started.
python3 shell/bench.py --check-args "$@" || exit
if [[ "${DPM_BENCH_BASELINE_ONLY:-0}" == 1 ]]; then
  log "!!! DPM_BENCH_BASELINE_ONLY=1: the dpm steps (d to s) will NOT run"
else
  dpm_locate_bin release
fi

pg_cluster_start
export DPM_PG_FSYNC DPM_PG_DIR

# Not exec: lib.sh's exit traps stop and remove the cluster after the benchmark.
python3 shell/bench.py "$@"
