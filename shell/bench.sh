#!/usr/bin/env bash
# Benchmark: dpm upload/restore against pg_dump/pg_restore on a generated,
# realistic dataset of about SIZE_MB megabytes.
#
#   shell/bench.sh [SIZE_MB]        (default 1024; 50 is a quick smoke test)
#
# Environment:
#   DPM_BIN=path         use this dpm instead of building a release one
#   DPM_BENCH_JOBS=N     pass --jobs N to dpm upload and restore
#   DPM_BENCH_BASELINE_ONLY=1
#                        run only the pg_dump/pg_restore steps (says so loudly)
#   DPM_PG_FSYNC=on|off  server fsync (default off; the same for every step)
#   DPM_BENCH_STRICT=1   exit 1 when a target is missed (default: report only)
#   DPM_BENCH_ROUNDS=N   restore rounds, alternating baseline and dpm (default 3);
#                        the restore ratio compares the medians
#   DPM_BENCH_S3_MB=N    size of the file moved through S3 (moto) by dpm and by
#                        aws s3 cp (default 500; 0 skips the S3 steps)
#   DPM_BENCH_S3_ROUNDS=N
#                        upload rounds of each S3 variant (default 5)
#   DPM_BENCH_SWITCH=0   skip the switching steps (dpm use / undo between two
#                        cached profiles, on the dataset and on a 100 MB one)
#   DPM_BENCH_SWITCH_ROUNDS=N
#                        timed rounds of each switching step (default 5); the
#                        switching targets compare medians
#
# Every step runs under /usr/bin/time -v for its wall time and peak resident
# set size. RSS is the client's (pg_dump, pg_restore or dpm, including its
# children), not the PostgreSQL server's.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=shell/lib.sh
. shell/lib.sh

size_mb="${1:-1024}"
if ! [[ "$size_mb" =~ ^[0-9]+$ ]] || ((size_mb < 20)); then
  die "usage: shell/bench.sh [SIZE_MB]  (a whole number, at least 20)"
fi
baseline_only="${DPM_BENCH_BASELINE_ONLY:-0}"
jobs_args=()
if [[ -n "${DPM_BENCH_JOBS:-}" ]]; then
  jobs_args=(--jobs "$DPM_BENCH_JOBS")
fi

dpm_install_deps
if [[ "$baseline_only" == 1 ]]; then
  log "!!! DPM_BENCH_BASELINE_ONLY=1: the dpm steps (d, e, f) will NOT run"
else
  dpm_locate_bin release
fi

pg_cluster_start

work="$(mktemp -d "${TMPDIR:-/tmp}/dpm-bench.XXXXXX")"
dpm_rm_on_exit "$work"
# Keep dpm's download cache inside the benchmark folder: a fresh cache for
# every run, and nothing left behind in the user's home.
export XDG_CACHE_HOME="$work/cache"

bench_dbs=(bench bench_r1 bench_r2 bench_r3)
# dpm projects of the switching steps: their background spare refills are
# waited for before the databases are dropped.
switch_projects=()
# Drop every database this script may have made, and those dpm made beside a
# working database (<db>__tpl_..., __spare_..., __stash_..., __dpm_...).
# Registered after pg_cluster_start, so it runs before the cluster is stopped
# and removed.
_bench_drop_dbs() {
  local db name project
  if [[ -n "${PGHOST:-}" ]] && pg_isready -q -t 2; then
    # A refill still cloning in the background would make a spare after the
    # drops: wait for it (a foreground refill takes its lock), dropping spares.
    for project in "${switch_projects[@]}"; do
      if [[ -d "$project" ]]; then
        (cd "$project" && DPM_SPARES=0 timeout 300 "$DPM_BIN" cache refill >/dev/null 2>&1) ||
          log "warning: could not wait for dpm's spare refill in $project"
      fi
    done
    for db in "${bench_dbs[@]}"; do
      while read -r name; do
        [[ -n "$name" ]] || continue
        # Templates cannot be dropped while marked as templates.
        psql -X -q -c "ALTER DATABASE \"$name\" WITH IS_TEMPLATE false" 2>/dev/null || true
        dropdb --force --if-exists "$name" 2>/dev/null || log "warning: could not drop $name"
      done < <(psql -X -At -c "select datname from pg_database where starts_with(datname, '${db}__')" 2>/dev/null)
      dropdb --force --if-exists "$db" 2>/dev/null || log "warning: could not drop $db"
    done
  fi
}
dpm_on_exit _bench_drop_dbs

# Results, by step key.
declare -A secs=() rss=() bytes=() wall=()
steps=()
declare -A label=(
  [gen]="generate dataset (psql, wall time)"
  [dump_fc]="a. pg_dump -Fc"
  [restore_fc]="b. pg_restore -j2 (from -Fc)"
  [dump_dir]="c. pg_dump -Fd -Z0 -j2"
  [restore_dir]="c. pg_restore -j2 (from -Fd -Z0)"
  [dpm_upload]="d. dpm upload"
  [dpm_reupload]="e. dpm upload (unchanged)"
  [dpm_restore]="f. dpm restore"
)

# measure KEY COMMAND...: runs COMMAND under /usr/bin/time -v, keeps its
# stdout in $work/KEY.out, and stops the benchmark if it fails. secs[KEY] is
# the wall time in hundredths, wall[KEY] in microseconds. The step gets
# a row in the report unless table_rows=0 (rounds summed up by a median row).
table_rows=1
measure() {
  local key="$1"
  shift
  log "==> ${label[$key]}: $*"
  # (microseconds: EPOCHREALTIME without its decimal point, whatever the locale)
  local started="${EPOCHREALTIME/[!0-9]/}" ended status=0
  /usr/bin/time -v -o "$work/$key.time" "$@" >"$work/$key.out" 2>"$work/$key.err" || status=$?
  ended="${EPOCHREALTIME/[!0-9]/}"
  if ((status)); then
    tail -n 30 "$work/$key.err" >&2
    die "${label[$key]} failed"
  fi
  # /usr/bin/time counts hundredths; steps of a few ms need the finer clock.
  wall[$key]="$(calc "($ended - $started) / 1000000")"
  local report
  report="$(dpm_time_report "$work/$key.time")"
  secs[$key]="${report% *}"
  rss[$key]="${report#* }"
  if ((table_rows)); then
    steps+=("$key")
  fi
  log "    ${secs[$key]} s, peak RSS ${rss[$key]} MB"
}

# Floating-point arithmetic with awk (bc is not installed everywhere).
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
is_true() { awk "BEGIN { exit !($1) }"; }

# One line of JSON from a file, or the file as it is if it is not JSON.
compact_json() {
  python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' "$1" 2>/dev/null ||
    cat "$1"
}

db_size() { psql -X -At -c "select pg_database_size('$1')"; }
dir_bytes() { du -sb "$1" | cut -f1; }

# A fingerprint of a database's contents: per user table, the row count and
# an order-independent hash of every row's text. Restores must match the
# source exactly. The tables are those of bench, or of the second argument.
fingerprint() {
  local db="$1" tables_from="${2:-bench}" t
  psql -X -At -d "$tables_from" -c "select format('%I.%I', schemaname, tablename) from pg_tables
                            where schemaname not in ('pg_catalog', 'information_schema')
                            order by 1" |
    while read -r t; do
      printf '%s ' "$t"
      psql -X -At -d "$db" -c "select count(*), coalesce(sum(hashtext(t::text)::bigint), 0) from $t as t"
    done
}

verify_restore() {
  local db="$1"
  if ! diff <(printf '%s\n' "$source_fingerprint") <(fingerprint "$db") >"$work/verify-$db.diff"; then
    cat "$work/verify-$db.diff" >&2
    die "database $db does not hold the same rows as bench"
  fi
  log "    $db verified: same rows as bench"
}

# --- the dataset -------------------------------------------------------------
log "==> generating a dataset of about ${size_mb} MB in database bench"
createdb bench
gen_start="$(date +%s.%N)"
psql -X -q -v ON_ERROR_STOP=1 -v scale="$size_mb" -d bench -f shell/gen-dataset.sql >"$work/gen.log" 2>&1 || {
  tail -n 30 "$work/gen.log" >&2
  die "generating the dataset failed"
}
secs[gen]="$(calc "$(date +%s.%N) - $gen_start")"
secs[gen]="${secs[gen]%????}" # two decimals, like the others
rss[gen]="-"
bytes[gen]="$(db_size bench)"
steps+=(gen)
log "    ${secs[gen]} s, pg_database_size = $((bytes[gen] / 1048576)) MiB"
psql -X -d bench -c "select relname as table, reltuples::bigint as rows,
                            pg_size_pretty(pg_total_relation_size(oid)) as size
                     from pg_class where relkind = 'r' and relnamespace = 'public'::regnamespace
                     order by pg_total_relation_size(oid) desc" >&2
source_fingerprint="$(fingerprint bench)"

# --- baseline: pg_dump / pg_restore ------------------------------------------
measure dump_fc pg_dump -Fc -f "$work/bench.dump" bench
bytes[dump_fc]="$(stat -c %s "$work/bench.dump")"

createdb bench_r1
measure restore_fc pg_restore -j2 -d bench_r1 "$work/bench.dump"
verify_restore bench_r1
dropdb bench_r1 # frees disk for the next steps

measure dump_dir pg_dump -Fd -Z0 -j2 -f "$work/bench.dir" bench
bytes[dump_dir]="$(dir_bytes "$work/bench.dir")"
# The directory dump is kept: its restore is timed below, in rounds alternating
# with dpm restore, because single restore timings vary by +-15% on this machine.

# --- dpm -----------------------------------------------------------------------
if [[ "$baseline_only" != 1 ]]; then
  log "==> dpm $("$DPM_BIN" --version 2>/dev/null || echo '(version unknown)') at $DPM_BIN"
  mkdir "$work/project"
  cd "$work/project"
  git init -q
  # (set-up output goes with the progress log, so stdout is only the report)
  "$DPM_BIN" init --database "dbname=bench" --store "file:$work/store" >&2 ||
    die "dpm init failed"
  "$DPM_BIN" profile create bench --kind shared --description "benchmark dataset" >&2 ||
    die "dpm profile create failed"

  measure dpm_upload "$DPM_BIN" upload bench -m "benchmark" --json "${jobs_args[@]}"
  bytes[dpm_upload]="$(dir_bytes "$work/store")"
  log "    $(compact_json "$work/dpm_upload.out")"

  measure dpm_reupload "$DPM_BIN" upload bench -m "unchanged" --json "${jobs_args[@]}"
  bytes[dpm_reupload]="$(($(dir_bytes "$work/store") - bytes[dpm_upload]))"
  log "    $(compact_json "$work/dpm_reupload.out")"

  cd - >/dev/null

  # The JSON must parse and carry the promised fields; a silent wrong output
  # would make the numbers above meaningless.
  for key in dpm_upload dpm_reupload; do
    python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
missing = [k for k in ("snapshot", "bytesRead", "bytesStored", "objectsStored", "objectsReused", "seconds") if k not in o]
if missing:
    sys.exit("dpm upload --json lacks " + ", ".join(missing))
' "$work/$key.out" || die "unexpected output of ${label[$key]}"
  done
fi

# --- restores, in alternating rounds ------------------------------------------------
# median VALUES...: the middle value (the lower middle for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# max VALUES...
maximum() { printf '%s\n' "$@" | sort -g | tail -n 1; }

rounds="${DPM_BENCH_ROUNDS:-3}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "DPM_BENCH_ROUNDS must be a whole number of at least 1"
dir_times=() dpm_times=() dpm_rss_rounds=()
for ((round = 1; round <= rounds; round++)); do
  label[restore_dir_$round]="c. pg_restore -j2 (from -Fd -Z0) #$round"
  createdb bench_r2
  measure "restore_dir_$round" pg_restore -j2 -d bench_r2 "$work/bench.dir"
  ((round > 1)) || verify_restore bench_r2
  dropdb bench_r2
  dir_times+=("${secs[restore_dir_$round]}")

  if [[ "$baseline_only" != 1 ]]; then
    label[dpm_restore_$round]="f. dpm restore #$round"
    cd "$work/project"
    measure "dpm_restore_$round" "$DPM_BIN" restore bench --into bench_r3 --json "${jobs_args[@]}"
    cd - >/dev/null
    log "    $(compact_json "$work/dpm_restore_$round.out")"
    verify_restore bench_r3
    dropdb bench_r3
    dpm_times+=("${secs[dpm_restore_$round]}")
    dpm_rss_rounds+=("${rss[dpm_restore_$round]}")
  fi
done
rm -rf "$work/bench.dir"
secs[restore_dir]="$(median "${dir_times[@]}")"
if [[ "$baseline_only" != 1 ]]; then
  secs[dpm_restore]="$(median "${dpm_times[@]}")"
  rss[dpm_restore]="$(maximum "${dpm_rss_rounds[@]}")"
fi

# --- S3: the same bytes through dpm and through aws s3 cp, against moto -------------
s3_mb="${DPM_BENCH_S3_MB:-500}"
if [[ "$baseline_only" != 1 && "$s3_mb" != 0 ]]; then
  dpm_install_awscli
  export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
  # fresh_moto: a new, empty moto for each timed transfer. moto keeps every object in its
  # one Python process and slows down as it fills, which would favour whatever runs first.
  fresh_moto() {
    moto_stop
    moto_start
    export AWS_ENDPOINT_URL_S3="$DPM_TEST_S3_ENDPOINT"
    aws --endpoint-url "$DPM_TEST_S3_ENDPOINT" s3 mb s3://dpm-bench >/dev/null || die "cannot create the S3 bucket in moto"
  }
  # One incompressible file as the only media of an empty database: the bytes moved are
  # the same for dpm and awscli (zstd stores random data at its own size).
  createdb s3bench
  bench_dbs+=(s3bench)
  mkdir -p "$work/s3project/media"
  head -c "${s3_mb}M" /dev/urandom >"$work/s3project/media/blob.bin"
  cp "$work/s3project/media/blob.bin" "$work/blob.bin"
  cd "$work/s3project"
  "$DPM_BIN" init --database "dbname=s3bench" --store "s3://dpm-bench/dpm" --media media >&2 || die "dpm init failed"
  "$DPM_BIN" profile create s3 --kind shared >&2 || die "dpm profile create failed"
  export XDG_CACHE_HOME="$work/s3cache"
  # Uploads in rounds of alternating order, each into a fresh moto. moto's
  # CompleteMultipartUpload costs more with bigger parts, so both tools are timed with
  # awscli's default 8 MiB parts and with dpm's default 64 MiB parts.
  printf '[default]\ns3 =\n  multipart_chunksize = 64MB\n' >"$work/aws64.cfg"
  s3_rounds="${DPM_BENCH_S3_ROUNDS:-5}"
  [[ "$s3_rounds" =~ ^[1-9][0-9]*$ ]] || die "DPM_BENCH_S3_ROUNDS must be a whole number of at least 1"
  declare -A s3_times=()
  s3_rss_rounds=()
  for ((round = 1; round <= s3_rounds; round++)); do
    order=(dpm64 dpm8 aws8 aws64)
    ((round % 2)) || order=(aws64 aws8 dpm8 dpm64)
    for what in "${order[@]}"; do
      key="s3_${what}_up_$round"
      part="${what#dpm}"
      part="${part#aws}"
      fresh_moto
      case "$what" in
        dpm*)
          label[$key]="g. dpm upload to S3, ${part} MiB parts #$round"
          measure "$key" env DPM_S3_PART_SIZE_MB="$part" "$DPM_BIN" upload s3 --json
          s3_rss_rounds+=("${rss[$key]}")
          ;;
        aws8)
          label[$key]="g. aws s3 cp up, 8 MiB parts (its default) #$round"
          measure "$key" aws --endpoint-url "$DPM_TEST_S3_ENDPOINT" s3 cp --quiet "$work/blob.bin" s3://dpm-bench/awscli/blob.bin
          ;;
        aws64)
          label[$key]="g. aws s3 cp up, 64 MiB parts #$round"
          measure "$key" env AWS_CONFIG_FILE="$work/aws64.cfg" aws --endpoint-url "$DPM_TEST_S3_ENDPOINT" s3 cp --quiet "$work/blob.bin" s3://dpm-bench/awscli/blob.bin
          ;;
      esac
      s3_times[$what]+=" ${secs[$key]}"
    done
  done
  for what in dpm64 dpm8 aws8 aws64; do
    # shellcheck disable=SC2086 # the times are words
    secs[s3_${what}_up]="$(median ${s3_times[$what]})"
  done
  rss[s3_dpm_up]="$(maximum "${s3_rss_rounds[@]}")"
  label[s3_dpm_down]="h. dpm restore from S3 (cold cache)"
  label[s3_aws_down]="h. aws s3 cp down"
  # Downloads from one fresh moto holding both uploads (made untimed).
  fresh_moto
  "$DPM_BIN" upload s3 >/dev/null 2>&1 || die "dpm upload to S3 failed"
  aws --endpoint-url "$DPM_TEST_S3_ENDPOINT" s3 cp --quiet "$work/blob.bin" s3://dpm-bench/awscli/blob.bin || die "aws s3 cp failed"
  rm -rf "$work/s3project/media" "$XDG_CACHE_HOME"
  measure s3_dpm_down "$DPM_BIN" restore s3 --force --json
  cmp -s "$work/s3project/media/blob.bin" "$work/blob.bin" || die "dpm restore from S3 did not bring back the same bytes"
  measure s3_aws_down aws --endpoint-url "$DPM_TEST_S3_ENDPOINT" s3 cp --quiet s3://dpm-bench/awscli/blob.bin "$work/down.bin"
  cmp -s "$work/down.bin" "$work/blob.bin" || die "aws s3 cp did not bring back the same bytes"
  rm -f "$work/down.bin" "$work/blob.bin"
  cd - >/dev/null
fi

# --- switching: dpm use / undo between two cached profiles -------------------------
# Per dataset size, a project with two profiles (a, b) uploaded from the same
# database, hence two templates. Then, in rounds:
#   - dpm use on the spare path (a ready copy is renamed into place),
#   - dpm undo (the stash is renamed back),
#   - dpm use on the clone path (no spare), alternating with a bare
#     CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY of the same template.
# Set-up steps between timed ones (spare refills, stash drops) are not timed.
switch_rounds="${DPM_BENCH_SWITCH_ROUNDS:-5}"
[[ "$switch_rounds" =~ ^[1-9][0-9]*$ ]] || die "DPM_BENCH_SWITCH_ROUNDS must be a whole number of at least 1"
switch_sizes=() # dataset sizes (MB) that went through the switching steps

# json_field FILE FIELD: the field of the JSON object in FILE ("" when null).
json_field() {
  python3 -c '
import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2])
print("" if v is None else v)
' "$1" "$2"
}

# switch_measure KEY METHOD COMMAND...: measure, then die unless dpm's --json
# output says it switched by METHOD (a benchmark of the wrong path is worthless).
switch_measure() {
  local key="$1" method="$2" got
  shift 2
  measure "$key" "$@"
  log "    wall time $(ms "${wall[$key]}") s"
  got="$(json_field "$work/$key.out" method)" || die "${label[$key]}: no JSON result: $(cat "$work/$key.out")"
  [[ "$got" == "$method" ]] ||
    die "${label[$key]}: dpm switched by \"$got\", not \"$method\": $(compact_json "$work/$key.out")"
  log "    $(compact_json "$work/$key.out")"
}

# ms SECONDS: rounded to milliseconds (the switching steps take a few).
ms() { printf '%.3f' "$1"; }

# The untimed upkeep between timed steps; its output goes with the progress log.
dpm_quiet() { "$DPM_BIN" "$@" >&2 || die "dpm $* failed"; }
# Before each timed switching step: leave some local work in the working database
# (a table made and dropped: its rows stay as they were), so that the stash the step
# makes is kept (dpm recycles an untouched one into a spare) and undo has a stash to
# rename back; then write back what the upkeep left dirty (clones, drops), so no step
# pays for the one before it.
settle() {
  psql -X -q -d "$db" -c "CREATE TABLE dpm_bench_local_work (); DROP TABLE dpm_bench_local_work" ||
    die "could not leave local work in $db"
  sync
}

# switch_bench MB DB: the switching steps on database DB, which holds the dataset
# of about MB megabytes. Leaves DB holding the same rows, and no other copies.
switch_bench() {
  local mb="$1" db="$2" dir="$work/switch-$2" cur=a other=b swap r key tpl expected
  local spare_times=() spare_rss=() undo_times=() undo_rss=() clone_times=() clone_rss=() create_times=() create_rss=()
  log "==> switching, ${mb} MB dataset in database $db"
  if [[ "$db" == bench ]]; then
    expected="$source_fingerprint"
  else
    expected="$(fingerprint "$db" "$db")"
  fi
  mkdir "$dir"
  switch_projects+=("$dir")
  bench_dbs+=("${db}_clone")
  cd "$dir"
  git init -q
  dpm_quiet init --database "dbname=$db" --store "file:$work/store"
  dpm_quiet profile create a --kind shared --description "switching benchmark, profile a"
  dpm_quiet profile create b --kind shared --description "switching benchmark, profile b"
  dpm_quiet upload a -m "switching a" "${jobs_args[@]}"
  dpm_quiet upload b -m "switching b" "${jobs_args[@]}" # same objects: quick

  # First uses: each restores its snapshot into a template (then clones it).
  label[sw_${mb}_first]="i. dpm use, first (restore), ${mb} MB"
  DPM_REFILL=off switch_measure "sw_${mb}_first" restore "$DPM_BIN" use a --json "${jobs_args[@]}"
  table_rows=0
  label[sw_${mb}_first_b]="i. dpm use b, first (restore), ${mb} MB"
  DPM_REFILL=off switch_measure "sw_${mb}_first_b" restore "$DPM_BIN" use b --json "${jobs_args[@]}"
  if ! diff <(printf '%s\n' "$expected") <(fingerprint "$db" "$db") >"$work/verify-switch-$db.diff"; then
    cat "$work/verify-switch-$db.diff" >&2
    die "after dpm use, database $db does not hold the rows it was uploaded with"
  fi
  log "    $db verified after dpm use: same rows as uploaded"

  # Spare path: a ready copy of the other profile's template is renamed into place.
  for ((r = 1; r <= switch_rounds; r++)); do
    dpm_quiet cache refill # waits for the background refill, makes missing spares
    dpm_quiet stash prune --keep 1
    settle
    key="sw_${mb}_spare_$r"
    label[$key]="j. dpm use (spare) ${mb} MB #$r"
    switch_measure "$key" spare "$DPM_BIN" use "$other" --json
    spare_times+=("$(ms "${wall[$key]}")") spare_rss+=("${rss[$key]}")
    swap="$cur" cur="$other" other="$swap"
  done

  # Undo: the newest stash is renamed back (the working database becomes one).
  dpm_quiet cache refill # the last use started one in the background: let it finish
  for ((r = 1; r <= switch_rounds; r++)); do
    dpm_quiet stash prune --keep 1
    settle
    key="sw_${mb}_undo_$r"
    label[$key]="k. dpm undo ${mb} MB #$r"
    switch_measure "$key" stash "$DPM_BIN" undo --json
    undo_times+=("$(ms "${wall[$key]}")") undo_rss+=("${rss[$key]}")
    swap="$cur" cur="$other" other="$swap"
  done

  # Clone path: no spares; dpm use alternates with a bare clone of the same template.
  DPM_SPARES=0 dpm_quiet cache refill # waits for the background refill, drops the spares
  dpm_quiet stash prune --keep 1
  "$DPM_BIN" cache list --json >"$work/switch-$db-cache.json" || die "dpm cache list failed"
  for ((r = 1; r <= switch_rounds; r++)); do
    tpl="$(python3 -c '
import json, sys
names = [t["database"] for t in json.load(open(sys.argv[1])) if t.get("profile") == sys.argv[2]]
if len(names) != 1:
    sys.exit("expected one template of profile %s, found %s" % (sys.argv[2], names))
print(names[0])
' "$work/switch-$db-cache.json" "$other")" || die "cannot find the template of profile $other in dpm cache list --json"
    key="sw_${mb}_clone_$r"
    label[$key]="l. dpm use (clone) ${mb} MB #$r"
    settle
    DPM_REFILL=off DPM_SPARES=0 switch_measure "$key" clone "$DPM_BIN" use "$other" --json
    clone_times+=("$(ms "${wall[$key]}")") clone_rss+=("${rss[$key]}")
    dpm_quiet stash prune --keep 1

    key="sw_${mb}_create_$r"
    label[$key]="l. CREATE DATABASE TEMPLATE ${mb} MB #$r"
    settle
    measure "$key" psql -X -q -v ON_ERROR_STOP=1 \
      -c "CREATE DATABASE \"${db}_clone\" TEMPLATE \"$tpl\" STRATEGY FILE_COPY"
    create_times+=("$(ms "${wall[$key]}")") create_rss+=("${rss[$key]}")
    log "    wall time $(ms "${wall[$key]}") s"
    dropdb "${db}_clone"
    swap="$cur" cur="$other" other="$swap"
  done
  table_rows=1

  # Medians as table rows: j (spare), k (undo), l (clone, and the bare clone).
  label[sw_${mb}_spare]="j. dpm use (spare) ${mb} MB, median"
  label[sw_${mb}_undo]="k. dpm undo ${mb} MB, median"
  label[sw_${mb}_clone]="l. dpm use (clone) ${mb} MB, median"
  label[sw_${mb}_create]="l. CREATE DATABASE ${mb} MB, median"
  secs[sw_${mb}_spare]="$(median "${spare_times[@]}")" rss[sw_${mb}_spare]="$(maximum "${spare_rss[@]}")"
  secs[sw_${mb}_undo]="$(median "${undo_times[@]}")" rss[sw_${mb}_undo]="$(maximum "${undo_rss[@]}")"
  secs[sw_${mb}_clone]="$(median "${clone_times[@]}")" rss[sw_${mb}_clone]="$(maximum "${clone_rss[@]}")"
  secs[sw_${mb}_create]="$(median "${create_times[@]}")" rss[sw_${mb}_create]="$(maximum "${create_rss[@]}")"
  bytes[sw_${mb}_spare]="$(db_size "$db")"
  steps+=("sw_${mb}_spare" "sw_${mb}_undo" "sw_${mb}_clone" "sw_${mb}_create")
  switch_sizes+=("$mb")

  # Free the disk: templates (with any spare), stashes; the working database stays.
  dpm_quiet cache prune --keep 0
  dpm_quiet stash prune --keep 0
  cd - >/dev/null
  local left
  left="$(psql -X -At -c "select string_agg(datname, ', ') from pg_database where starts_with(datname, '${db}__')")"
  [[ -z "$left" ]] || die "databases left beside $db after pruning: $left"
}

if [[ "$baseline_only" != 1 && "${DPM_BENCH_SWITCH:-1}" != 0 ]]; then
  # The small size first; skipped when the dataset itself is that small.
  if ((size_mb > 100)); then
    bench_dbs+=(bench100)
    log "==> generating a dataset of about 100 MB in database bench100"
    createdb bench100
    psql -X -q -v ON_ERROR_STOP=1 -v scale=100 -d bench100 -f shell/gen-dataset.sql >"$work/gen100.log" 2>&1 || {
      tail -n 30 "$work/gen100.log" >&2
      die "generating the 100 MB dataset failed"
    }
    switch_bench 100 bench100
    dropdb bench100
  fi
  switch_bench "$size_mb" bench
fi

# --- report --------------------------------------------------------------------
echo
echo "dpm benchmark: dataset ${size_mb} MB target, $(nproc) cores, PostgreSQL $(psql -X -At -c 'show server_version'), fsync=$DPM_PG_FSYNC (same for every step)"
echo
printf '%-36s %9s %13s %15s\n' "step" "seconds" "peak RSS MB" "bytes"
printf '%-36s %9s %13s %15s\n' "----" "-------" "-----------" "-----"
for key in "${steps[@]}"; do
  printf '%-36s %9s %13s %15s\n' "${label[$key]}" "${secs[$key]}" "${rss[$key]}" "${bytes[$key]:--}"
done
echo
printf 'bytes: database size for the dataset, file/folder size for dumps, store size (d) and newly stored bytes (e) for dpm\n'
if ((${#switch_sizes[@]})); then
  printf 'switching (i-l): i is the first use of a profile (a restore); j, k, l are medians (with the peak RSS) over\n'
  printf '%s rounds; bytes on j: the working database size; l pairs dpm use without a spare with a bare clone\n' "$switch_rounds"
fi
printf 'pg_database_size / pg_dump -Fc size:        %.2f\n' "$(calc "${bytes[gen]} / ${bytes[dump_fc]}")"
printf 'pg_dump -Fd -Z0 size / pg_dump -Fc size:    %.2f  (how well the data compresses)\n' \
  "$(calc "${bytes[dump_dir]} / ${bytes[dump_fc]}")"
echo

if [[ "$baseline_only" == 1 ]]; then
  echo "!!! dpm steps NOT RUN (DPM_BENCH_BASELINE_ONLY=1): no dpm ratios"
  exit 0
fi

missed=0
# ratio NAME VALUE OP TARGET UNIT: prints the ratio and whether it meets the target.
ratio() {
  local name="$1" value="$2" op="$3" target="$4" unit="${5:-}" verdict
  if is_true "$value $op $target"; then
    verdict="ok"
  else
    verdict="MISSED"
    missed=$((missed + 1))
  fi
  printf '%-48s %10.3f%-2s (target %s %s%s)  %s\n' "$name" "$value" "$unit" "$op" "$target" "$unit" "$verdict"
}
dpm_rss="${rss[dpm_upload]}"
if is_true "${rss[dpm_restore]} > $dpm_rss"; then dpm_rss="${rss[dpm_restore]}"; fi
if is_true "${rss[dpm_reupload]} > $dpm_rss"; then dpm_rss="${rss[dpm_reupload]}"; fi
# Avoid dividing by zero on tiny datasets where a step takes < 10 ms.
nz() { calc "($1 < 0.01) ? 0.01 : $1"; }

ratio "pg_dump -Fc time / dpm upload time" \
  "$(calc "${secs[dump_fc]} / $(nz "${secs[dpm_upload]}")")" ">=" 3
ratio "dpm store size / pg_dump -Fc size" \
  "$(calc "${bytes[dpm_upload]} / ${bytes[dump_fc]}")" "<=" 1
ratio "re-upload new bytes, % of first upload" \
  "$(calc "100 * ${bytes[dpm_reupload]} / ${bytes[dpm_upload]}")" "<" 1 "%"
echo "restore medians over $rounds rounds: pg_restore (dir) ${secs[restore_dir]} s, dpm restore ${secs[dpm_restore]} s"
ratio "dpm restore time / pg_restore (dir) time (medians)" \
  "$(calc "${secs[dpm_restore]} / $(nz "${secs[restore_dir]}")")" "<=" 1.15
ratio "dpm peak RSS (upload, restore)" "$dpm_rss" "<" 150 " MB"
targets=5
if [[ -n "${secs[s3_dpm8_up]:-}" ]]; then
  echo "S3 upload medians over $s3_rounds rounds: dpm ${secs[s3_dpm8_up]} s / ${secs[s3_dpm64_up]} s, aws s3 cp ${secs[s3_aws8_up]} s / ${secs[s3_aws64_up]} s (8 / 64 MiB parts)"
  ratio "S3 upload, 8 MiB parts: dpm time / aws s3 cp time (medians)" "$(calc "${secs[s3_dpm8_up]} / $(nz "${secs[s3_aws8_up]}")")" "<=" 1.2
  ratio "S3 upload, 64 MiB parts: dpm time / aws s3 cp time (medians)" "$(calc "${secs[s3_dpm64_up]} / $(nz "${secs[s3_aws64_up]}")")" "<=" 1.2
  printf '(each at its default part size, dpm 64 MiB / awscli 8 MiB: %.2fx; moto completes big parts more slowly)\n' \
    "$(calc "${secs[s3_dpm64_up]} / $(nz "${secs[s3_aws8_up]}")")"
  ratio "S3 download: dpm time / aws s3 cp time" "$(calc "${secs[s3_dpm_down]} / $(nz "${secs[s3_aws_down]}")")" "<=" 1.2
  s3_rss="${rss[s3_dpm_up]}"
  if is_true "${rss[s3_dpm_down]} > $s3_rss"; then s3_rss="${rss[s3_dpm_down]}"; fi
  ratio "dpm peak RSS moving the ${s3_mb} MB file through S3" "$s3_rss" "<" 150 " MB"
  targets=$((targets + 4))
fi
for mb in "${switch_sizes[@]}"; do
  echo "switch medians over $switch_rounds rounds, ${mb} MB: dpm use (spare) ${secs[sw_${mb}_spare]} s, dpm undo ${secs[sw_${mb}_undo]} s," \
    "dpm use (clone) ${secs[sw_${mb}_clone]} s, CREATE DATABASE (FILE_COPY) ${secs[sw_${mb}_create]} s"
  ratio "dpm use, spare rename, ${mb} MB (median)" "${secs[sw_${mb}_spare]}" "<" 0.3 " s"
  ratio "dpm undo, ${mb} MB (median)" "${secs[sw_${mb}_undo]}" "<" 0.3 " s"
  ratio "dpm use clone / CREATE DATABASE, ${mb} MB (medians)" \
    "$(calc "${secs[sw_${mb}_clone]} / $(nz "${secs[sw_${mb}_create]}")")" "<=" 1.2
  targets=$((targets + 4))
done
echo
if ((missed)); then
  echo "$missed of $targets targets missed"
  if [[ "${DPM_BENCH_STRICT:-0}" == 1 ]]; then
    exit 1
  fi
else
  echo "all $targets targets met"
fi
