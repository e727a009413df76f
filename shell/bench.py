#!/usr/bin/env python3
"""dpm's benchmark: dpm upload/restore/use against pg_dump/pg_restore, aws s3 cp and
CREATE DATABASE, on a generated dataset of realistic, random content; dpm upload with
sanitize rules against without, dpm upload --from-dump against pg_restore + dpm upload,
dpm upload/restore of an encrypted store against a plaintext one, dpm verify --read-data
against zstd -t of the same objects, the store at scale, a refresh (1% of the biggest table
changed: bytes re-uploaded and downloaded) and many small tables (dpm restore against
pg_restore, S3 requests counted by a proxy in front of moto).

Run it through shell/bench.sh, which starts the throw-away PostgreSQL cluster (PGHOST, PGPORT,
PGUSER exported) and locates or builds dpm (DPM_BIN); see that script for the usage and the
environment. The report goes to stdout, the progress log to stderr, every figure to
--json FILE. `python3 shell/bench.py --self-test` checks the parts that need no services.

Python 3 standard library only (Debian 12's python3).
"""

import difflib
import hashlib
import json
import operator
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
LIB_SH = REPO / "shell" / "lib.sh"
GEN_SQL = REPO / "shell" / "gen-dataset.sql"
ONLY_STEPS = ("m", "r", "s")  # the steps DPM_BENCH_ONLY can pick
USAGE = "usage: shell/bench.sh [SIZE_MB] [--json FILE]  (a whole number, at least 20)"
MIN_SIZE_MB = 20
SMALL_SWITCH_MB = 100  # the switching steps also run on a dataset of this size, when SIZE_MB is larger

# The sanitize step (m): the profile with rules, and the key they are keyed with (any 16
# characters or more; this one keys nothing but the benchmark's throw-away store). The four
# timed rules cover text columns of personal data of gen-dataset.sql; the other columns whose
# names look personal hold generated words and are kept, so that no column is unclassified.
SANITIZE_KEY = "dpm-bench-sanitize-key-not-a-secret"
SANITIZED_TABLES = ("public.customers", "public.orders")
SANITIZED_PROFILE = """kind: shared
description: "benchmark dataset, sanitized"
sanitize:
  columns:
    public.customers.email: email
    public.customers.name: name
    public.customers.phone: phone
    public.orders.shipping_address: text
    public.customers.city: keep
    public.customers.notes: keep
    public.orders.note: keep
    public.documents.body: keep
"""
SANITIZED_RULES = sum(line.startswith("    public.") and not line.endswith(": keep")
                      for line in SANITIZED_PROFILE.splitlines())  # the columns the rules change


# --- targets ---------------------------------------------------------------------------------
# A target's value is computed from the results r (and, for switching, the dataset size mb);
# its name is the report's wording ({mb} and {s3_mb} filled in). Groups: "dataset" is checked
# on every run with dpm, "s3" when the S3 steps ran, "switch" once per switching size,
# "sanitize" when the sanitize step (m) ran, "encrypt" when the encryption step (o) ran.

@dataclass(frozen=True)
class Target:
    key: str
    group: str
    name: str
    measures: str
    op: str
    limit: float
    unit: str
    applies_at: str
    value: Callable[["Results", int], float]


def nz(seconds: float) -> float:
    """A divisor for tiny datasets, where a step can take under 10 ms."""
    return 0.01 if seconds < 0.01 else seconds


DATASET = "the dataset: SIZE_MB, 1024 MB by default"
S3_FILE = "the S3 file: DPM_BENCH_S3_MB, 500 MB by default"
SWITCH_SIZES = f"{SMALL_SWITCH_MB} MB (when SIZE_MB is larger) and the dataset"
SANITIZED = "the dataset, with rules on customers.email, .name, .phone and orders.shipping_address"
ENCRYPTED = "the dataset, in an encrypted file: store (one recipient) and in a plaintext one"

REFRESHED = "the dataset's biggest table (documents): 1% of its rows updated, 1% inserted"
MANY = "DPM_BENCH_MANY_TABLES tables (1,200 by default) of 300 rows, 4 indexes and 1 foreign key each"

# dpm log, verify (by size) and gc --dry-run of the generated store of step q, against moto.
SCALE_LIMIT_SECONDS = 30.0

TARGETS = (
    Target("upload_time", "dataset", "pg_dump -Fc time / dpm upload time",
           "wall time of pg_dump -Fc (a) over that of the first dpm upload (d)",
           ">=", 3, "", DATASET, lambda r, mb: r.secs("dump_fc") / nz(r.secs("dpm_upload"))),
    Target("upload_floor", "dataset", "dpm upload time / pg_dump -Fd -Z0 -j2 time",
           "wall time of the first dpm upload (d) over that of pg_dump -Fd -Z0 -j2 (c), the floor of reading"
           " the data out of the server (issue 18)",
           "<=", 1.5, "", DATASET, lambda r, mb: r.secs("dpm_upload") / nz(r.secs("dump_dir"))),
    Target("store_size", "dataset", "dpm store size / pg_dump -Fc size",
           "bytes in the store after the first dpm upload (d) over the size of the pg_dump -Fc file (a)",
           "<=", 0.95, "", DATASET, lambda r, mb: r.bytes("dpm_upload") / r.bytes("dump_fc")),
    Target("reupload_bytes", "dataset", "re-upload new bytes, % of first upload",
           "bytes newly stored by an unchanged second dpm upload (e), in % of the first upload's (d)",
           "<", 1, "%", DATASET, lambda r, mb: 100 * r.bytes("dpm_reupload") / r.bytes("dpm_upload")),
    Target("restore_time", "dataset", "dpm restore time / pg_restore (dir) time (medians)",
           "median wall time of dpm restore (f) over that of pg_restore -j2 from the -Fd -Z0 dump (c),"
           " in DPM_BENCH_ROUNDS alternating rounds",
           "<=", 1.0, "", DATASET, lambda r, mb: r.secs("dpm_restore") / nz(r.secs("restore_dir"))),
    Target("dpm_rss", "dataset", "dpm peak RSS (upload, restore)",
           "the largest peak resident set size of dpm and its children in d, e and f",
           "<", 150, " MB", DATASET,
           lambda r, mb: max(r.rss("dpm_upload"), r.rss("dpm_reupload"), r.rss("dpm_restore"))),
    Target("s3_upload_8", "s3", "S3 upload, 8 MiB parts: dpm time / aws s3 cp time (medians)",
           "median wall time of dpm upload over that of aws s3 cp, both with 8 MiB parts, each into a fresh moto (g)",
           "<=", 1.2, "", S3_FILE, lambda r, mb: r.secs("s3_dpm8_up") / nz(r.secs("s3_aws8_up"))),
    Target("s3_upload_64", "s3", "S3 upload, 64 MiB parts: dpm time / aws s3 cp time (medians)",
           "median wall time of dpm upload over that of aws s3 cp, both with 64 MiB parts, each into a fresh moto (g)",
           "<=", 1.2, "", S3_FILE, lambda r, mb: r.secs("s3_dpm64_up") / nz(r.secs("s3_aws64_up"))),
    Target("s3_download", "s3", "S3 download: dpm time / aws s3 cp time",
           "wall time of dpm restore from S3 with a cold cache over that of aws s3 cp down (h)",
           "<=", 1.2, "", S3_FILE, lambda r, mb: r.secs("s3_dpm_down") / nz(r.secs("s3_aws_down"))),
    Target("s3_rss", "s3", "dpm peak RSS moving the {s3_mb} MB file through S3",
           "the largest peak resident set size of dpm in the S3 uploads (g) and the download (h)",
           "<", 150, " MB", S3_FILE,
           lambda r, mb: max(r.rss("s3_dpm8_up"), r.rss("s3_dpm64_up"), r.rss("s3_dpm_down"))),
    Target("switch_spare", "switch", "dpm use, spare rename, {mb} MB (median)",
           "median wall time of dpm use renaming a ready spare into place (j)",
           "<", 0.3, " s", SWITCH_SIZES, lambda r, mb: r.secs(f"sw_{mb}_spare")),
    Target("switch_undo", "switch", "dpm undo, {mb} MB (median)",
           "median wall time of dpm undo renaming the stash back (k)",
           "<", 0.3, " s", SWITCH_SIZES, lambda r, mb: r.secs(f"sw_{mb}_undo")),
    Target("switch_clone", "switch", "dpm use clone / CREATE DATABASE, {mb} MB (medians)",
           "median wall time of dpm use without a spare over that of a bare CREATE DATABASE ... TEMPLATE ..."
           " STRATEGY FILE_COPY of the same template (l)",
           "<=", 1.2, "", SWITCH_SIZES,
           lambda r, mb: r.secs(f"sw_{mb}_clone") / nz(r.secs(f"sw_{mb}_create"))),
    Target("sanitize_time", "sanitize", "dpm upload with rules / without (medians)",
           "median wall time of dpm upload of a profile with sanitize rules (email, name, phone, text) over that of"
           " the same data without rules (m), each into an empty store, in DPM_BENCH_ROUNDS alternating rounds",
           "<=", 1.5, "", SANITIZED, lambda r, mb: r.secs("san_rules") / nz(r.secs("san_plain"))),
    Target("sanitize_rss", "sanitize", "dpm peak RSS, upload with rules",
           "the largest peak resident set size of dpm and its children in the uploads with rules (m)",
           "<", 150, " MB", SANITIZED, lambda r, mb: r.rss("san_rules")),
    Target("encrypt_upload", "encrypt", "dpm upload encrypted / plaintext (medians)",
           "median wall time of dpm upload into an empty encrypted store over that into an empty plaintext store (o),"
           " in DPM_BENCH_ROUNDS alternating rounds",
           "<=", 1.10, "", ENCRYPTED, lambda r, mb: r.secs("enc_up_sealed") / nz(r.secs("enc_up_plain"))),
    Target("encrypt_restore", "encrypt", "dpm restore encrypted / plaintext (medians)",
           "median wall time of dpm restore from the encrypted store over that from the plaintext store (o),"
           " in DPM_BENCH_ROUNDS alternating rounds",
           "<=", 1.10, "", ENCRYPTED, lambda r, mb: r.secs("enc_re_sealed") / nz(r.secs("enc_re_plain"))),
    Target("encrypt_reupload", "encrypt", "encrypted re-upload new bytes, % of first upload",
           "bytes newly stored by an unchanged second dpm upload into the encrypted store (o), in % of what the"
           " upload before it stored",
           "<", 1, "%", ENCRYPTED, lambda r, mb: 100 * r.bytes("enc_reupload") / r.bytes("enc_up_sealed")),
    Target("encrypt_rss", "encrypt", "dpm peak RSS, encrypted upload and restore",
           "the largest peak resident set size of dpm and its children in the encrypted uploads and restores (o)",
           "<", 150, " MB", ENCRYPTED,
           lambda r, mb: max(r.rss("enc_up_sealed"), r.rss("enc_reupload"), r.rss("enc_re_sealed"))),
    Target("refresh_bytes", "refresh", "refresh, scattered: new bytes, % of first upload",
           "bytes the second dpm upload stored (its --json bytesStored) after 1% of the biggest table's rows, chosen"
           " uniformly at random, were updated and 1% new rows inserted (r), in % of what the first upload stored"
           " into an empty store",
           "<", 5, "%", REFRESHED, lambda r, mb: r.refresh["scattered"]["new_bytes_pct"]),
    Target("refresh_download", "refresh", "refresh, scattered: restore download, % of snapshot",
           "data bytes dpm restore of that refreshed snapshot received from moto (counted by the proxy) with the"
           " first snapshot's objects in the download cache (r), in % of the refreshed snapshot's stored size",
           "<", 5, "%", REFRESHED, lambda r, mb: r.refresh["scattered"]["downloaded_pct"]),
    Target("many_restore", "many", "dpm restore / pg_restore -j2, {tables} tables (medians)",
           "median wall time of dpm restore from a file: store over that of pg_restore -j2 of a pg_dump -Fd -Z0 of"
           " the many-tables database (s), in DPM_BENCH_ROUNDS alternating rounds",
           "<=", 1.1, "", MANY, lambda r, mb: r.secs("many_dpm_restore") / nz(r.secs("many_pg_restore"))),
    Target("many_s3_upload", "many", "S3 data requests, dpm upload of {tables} tables",
           "requests on the store's data keys (all but records, tags, marks, leases, settings and listings) of a"
           " dpm upload of the many-tables database into an empty moto bucket, counted by the proxy (s)",
           "<=", 50, "", MANY, lambda r, mb: r.many["upload_requests"]["data"]),
    Target("many_s3_restore", "many", "S3 data requests, dpm restore of {tables} tables",
           "requests on the store's data keys of a dpm restore of that snapshot from moto with an empty download"
           " cache, counted by the proxy (s)",
           "<=", 50, "", MANY, lambda r, mb: r.many["restore_requests"]["data"]),
)

OPS = {">=": operator.ge, "<=": operator.le, "<": operator.lt}


@dataclass
class Verdict:
    target: Target
    name: str
    value: float
    size_mb: int

    @property
    def met(self) -> bool:
        # Compared at the six decimals the report's arithmetic keeps.
        return OPS[self.target.op](round(self.value, 6), self.target.limit)

    def line(self) -> str:
        t = self.target
        return (f"{self.name:<48} {self.value:10.3f}{t.unit:<2} (target {t.op} {t.limit:g}{t.unit})"
                f"  {'ok' if self.met else 'MISSED'}")


def median(values: list[float]) -> float:
    """The middle value; the lower middle for an even count."""
    ordered = sorted(values)
    return ordered[(len(ordered) + 1) // 2 - 1]


# --- results ---------------------------------------------------------------------------------

@dataclass
class Step:
    key: str
    label: str
    seconds: float                   # as reported: /usr/bin/time's wall time, or a median
    digits: int = 2                  # decimals of seconds in the report
    rss_mb: float | None = None      # the client's peak RSS (with its children), or the rounds' peak
    bytes: int | None = None
    wall_seconds: float | None = None  # the finer clock, for steps of a few ms
    cpu_seconds: float | None = None   # user + system time of the client and its children
    rounds: list[str] = field(default_factory=list)  # the steps a median is taken over
    output: object = None            # dpm's --json output


class Results:
    def __init__(self) -> None:
        self.steps: dict[str, Step] = {}
        self.rows: list[str] = []  # the steps with a row in the report, in order
        self.sanitized_rows = 0    # rows of the tables the sanitize step's rules cover
        self.notes: list[str] = []  # steps skipped, and why
        self.verify_objects = 0    # objects (and their stored bytes) the verify step (p) read
        self.verify_stored = 0
        self.gc_store: dict = {}   # what the gc step (q) generated: objects, records, garbage
        self.refresh: dict = {}    # per variant of the refresh step (r): its bytes, percentages and requests
        self.many: dict = {}       # the many-tables step (s): its shape and S3 requests

    def add(self, step: Step, row: bool = True) -> Step:
        self.steps[step.key] = step
        if row:
            self.rows.append(step.key)
        return step

    def add_median(self, key: str, label: str, rounds: list[str], by_wall: bool = False, row: bool = False) -> Step:
        """A step whose time is the median over rounds (wall clock to the ms, or /usr/bin/time's),
        whose peak RSS is theirs, and whose CPU time the median of theirs."""
        values = [round(self.steps[k].wall_seconds, 3) if by_wall else self.steps[k].seconds for k in rounds]
        cpus = [self.steps[k].cpu_seconds for k in rounds]
        return self.add(Step(key, label, median(values), digits=3 if by_wall else 2,
                             rss_mb=max(self.steps[k].rss_mb for k in rounds), rounds=list(rounds),
                             cpu_seconds=None if None in cpus else median(cpus)), row)

    def secs(self, key: str) -> float:
        return self.steps[key].seconds

    def rss(self, key: str) -> float:
        return self.steps[key].rss_mb

    def bytes(self, key: str) -> int:
        return self.steps[key].bytes

    def has(self, key: str) -> bool:
        return key in self.steps


# --- settings --------------------------------------------------------------------------------

class Abort(Exception):
    """The benchmark cannot go on; the message is the reason."""


def die(message: str) -> None:
    raise Abort(message)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def whole(environ: dict, name: str, default: int) -> int:
    text = environ.get(name, str(default))
    if not re.fullmatch(r"[1-9][0-9]*", text):
        die(f"{name} must be a whole number of at least 1")
    return int(text)


@dataclass(frozen=True)
class Settings:
    size_mb: int
    json_path: str | None
    dpm_bin: str | None
    jobs: list[str]
    baseline_only: bool
    strict: bool
    rounds: int
    s3_mb: int
    s3_rounds: int
    switch: bool
    switch_rounds: int
    sanitize: bool
    encrypt: bool
    verify: bool
    fsync: str
    gc: bool = True
    gc_only: bool = False
    refresh: bool = True
    many_tables: int = 1200          # tables of the many-tables step (s); 0 skips it
    only: frozenset = frozenset()    # DPM_BENCH_ONLY: run only these of ONLY_STEPS (and the dataset for m and r)

    @property
    def s3(self) -> bool:
        return not self.baseline_only and self.s3_mb != 0

    @classmethod
    def parse(cls, args: list[str], environ: dict) -> "Settings":
        size, json_path, rest = None, None, list(args)
        while rest:
            arg = rest.pop(0)
            if arg == "--json" and rest:
                json_path = rest.pop(0)
            elif arg.startswith("--json="):
                json_path = arg[len("--json="):]
            elif size is None and re.fullmatch(r"[0-9]+", arg):
                size = int(arg)
            else:
                die(USAGE)
        size = 1024 if size is None else size
        if size < MIN_SIZE_MB or json_path == "":
            die(USAGE)
        if json_path is not None:
            # shell/bench.sh runs from the repository; a relative path is the caller's.
            json_path = os.path.join(environ.get("DPM_BENCH_CALLER_DIR", os.getcwd()), json_path)
            if not os.path.isdir(os.path.dirname(json_path)):
                die(f"--json {json_path}: no such folder")
        baseline_only = environ.get("DPM_BENCH_BASELINE_ONLY", "0") == "1"
        s3_text = environ.get("DPM_BENCH_S3_MB", "500")
        if not re.fullmatch(r"[0-9]+", s3_text):
            die("DPM_BENCH_S3_MB must be a whole number")
        s3_mb = int(s3_text)
        many_text = environ.get("DPM_BENCH_MANY_TABLES", "1200")
        if not re.fullmatch(r"0|[1-9][0-9]{0,3}", many_text):  # tables are named t0001 to t9999
            die("DPM_BENCH_MANY_TABLES must be a whole number up to 9999 (0 skips the many-tables step)")
        only = frozenset(part.strip() for part in environ.get("DPM_BENCH_ONLY", "").split(",") if part.strip())
        if only - set(ONLY_STEPS):
            die(f"DPM_BENCH_ONLY takes a comma-separated list of {', '.join(ONLY_STEPS)}")
        if only and (baseline_only or environ.get("DPM_BENCH_SCALE_ONLY", "0") == "1"):
            die("DPM_BENCH_ONLY runs dpm steps: not with DPM_BENCH_BASELINE_ONLY=1 or DPM_BENCH_SCALE_ONLY=1")
        return cls(
            size_mb=size, json_path=json_path,
            dpm_bin=None if baseline_only else environ.get("DPM_BIN"),
            jobs=["--jobs", environ["DPM_BENCH_JOBS"]] if environ.get("DPM_BENCH_JOBS") else [],
            baseline_only=baseline_only, strict=environ.get("DPM_BENCH_STRICT", "0") == "1",
            rounds=whole(environ, "DPM_BENCH_ROUNDS", 3),
            s3_mb=s3_mb,
            s3_rounds=whole(environ, "DPM_BENCH_S3_ROUNDS", 5) if not baseline_only and s3_mb else 5,
            switch=environ.get("DPM_BENCH_SWITCH", "1") != "0",
            switch_rounds=whole(environ, "DPM_BENCH_SWITCH_ROUNDS", 5),
            sanitize=environ.get("DPM_BENCH_SANITIZE", "1") != "0",
            encrypt=environ.get("DPM_BENCH_ENCRYPT", "1") != "0",
            verify=environ.get("DPM_BENCH_VERIFY", "1") != "0",
            fsync=environ.get("DPM_PG_FSYNC", "off"),
            gc=environ.get("DPM_BENCH_SCALE", "1") != "0",
            gc_only=environ.get("DPM_BENCH_SCALE_ONLY", "0") == "1",
            refresh=environ.get("DPM_BENCH_REFRESH", "1") != "0",
            many_tables=int(many_text), only=only)


# --- running things --------------------------------------------------------------------------

def parse_time_report(text: str) -> tuple[float, float, float]:
    """Wall seconds (hundredths), peak RSS (MB, one decimal) and CPU seconds (user + system,
    hundredths) from `/usr/bin/time -v`."""
    wall = rss = cpu = 0.0
    for line in text.splitlines():
        name, _, value = line.strip().partition(": ")
        if name.startswith("Elapsed (wall clock) time"):
            wall = 0.0
            for part in value.split(":"):
                wall = wall * 60 + float(part)
        elif name == "Maximum resident set size (kbytes)":
            rss = int(value) / 1024
        elif name in ("User time (seconds)", "System time (seconds)"):
            cpu += float(value)
    return round(wall, 2), round(rss, 1), round(cpu, 2)


def with_env(env: dict | None) -> dict | None:
    """The environment of a command: this one's, with env's variables set."""
    return None if env is None else {**os.environ, **env}


def tail(path: Path, lines: int = 30) -> str:
    return "".join(path.read_text(errors="replace").splitlines(True)[-lines:])


def compact_json(text: str) -> str:
    """One line of JSON, or the text as it is if it is not JSON."""
    try:
        return json.dumps(json.loads(text), separators=(",", ":"))
    except ValueError:
        return text.strip()


def lib(*command: str, **popen) -> subprocess.Popen:
    """Runs a function of shell/lib.sh (which registers its own cleanup) in a bash of its own."""
    return subprocess.Popen(["bash", "-c", 'set -euo pipefail; . "$0"; "$@"', str(LIB_SH), *command], **popen)


class Moto:
    """A fresh, empty moto_server per timed transfer: moto keeps every object in its one Python
    process and slows down as it fills, which would favour whatever runs first. lib.sh's
    moto_start starts it in a bash that holds it until its stdin closes; that bash's exit runs
    lib.sh's moto_stop (on Ctrl-C too, without a second signal cutting the clean-up short)."""

    HOLD = 'moto_start; printf "%s\\n" "$DPM_TEST_S3_ENDPOINT"; read -r _ || true'

    def __init__(self) -> None:
        self.holder: subprocess.Popen | None = None

    def fresh(self) -> str:
        self.stop()
        self.holder = lib("eval", self.HOLD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        endpoint = self.holder.stdout.readline().strip()
        if not endpoint:
            self.stop()
            die("moto_server did not start")
        os.environ["AWS_ENDPOINT_URL_S3"] = endpoint
        if subprocess.run(["aws", "--endpoint-url", endpoint, "s3", "mb", "s3://dpm-bench"],
                          stdout=subprocess.DEVNULL).returncode:
            die("cannot create the S3 bucket in moto")
        return endpoint

    def stop(self) -> None:
        if self.holder:
            self.holder.stdin.close()
            self.holder.wait(timeout=60)
            self.holder = None


# What a store key is, for counting S3 requests: "data" (objects, and whatever else holds an
# artifact's bytes, e.g. packs) or "metadata" (records, tags, marks, leases, settings, listings).
METADATA_PREFIXES = ("snapshots/", "tags/", "damaged/", "keys/", "uploads/", "gc/", "dpm-store.json")


def request_kind(target: str, store_prefix: str) -> str:
    """"data" or "metadata" for a path-style request target (/bucket/prefix/key?query) to a
    store at store_prefix (/bucket/prefix/)."""
    path, _, query = target.partition("?")
    if "list-type=" in query or not path.startswith(store_prefix):
        return "metadata"  # a listing, or something outside the store (the bucket itself)
    key = path[len(store_prefix):]
    return "metadata" if key.startswith(METADATA_PREFIXES) else "data"


@dataclass
class RequestTally:
    """S3 requests seen by the counting proxy: per kind ("data", "metadata"), the requests by
    method and the body bytes sent (request bodies) and received (response bodies)."""
    requests: dict = field(default_factory=lambda: {"data": {}, "metadata": {}})
    sent: dict = field(default_factory=lambda: {"data": 0, "metadata": 0})
    received: dict = field(default_factory=lambda: {"data": 0, "metadata": 0})

    def add(self, method: str, kind: str, sent: int, received: int) -> None:
        self.requests[kind][method] = self.requests[kind].get(method, 0) + 1
        self.sent[kind] += sent
        self.received[kind] += received

    def count(self, kind: str | None = None) -> int:
        kinds = [kind] if kind else list(self.requests)
        return sum(sum(self.requests[k].values()) for k in kinds)

    def by_method(self, kind: str | None = None) -> dict:
        out: dict = {}
        for k in [kind] if kind else list(self.requests):
            for method, n in self.requests[k].items():
                out[method] = out.get(method, 0) + n
        return dict(sorted(out.items()))

    def summary(self) -> str:
        """One line: total, data requests by method, metadata requests."""
        methods = ", ".join(f"{m} {n}" for m, n in self.by_method("data").items()) or "none"
        return (f"{self.count()} requests: {self.count('data')} data ({methods}), {self.count('metadata')} metadata;"
                f" {self.received['data']} data bytes received, {self.sent['data']} sent")

    def as_json(self) -> dict:
        return {"total": self.count(), "data": self.count("data"), "metadata": self.count("metadata"),
                "by_method": self.by_method(), "data_by_method": self.by_method("data"),
                "metadata_by_method": self.by_method("metadata"),
                "bytes_received": dict(self.received), "bytes_sent": dict(self.sent)}


class CountingProxy:
    """A tiny HTTP server on loopback between dpm and moto: forwards every request as it is
    (dpm's signature covers the Host header, which is kept) and counts them by method and
    kind, with their body bytes: what dpm really moved, not what it says it moved."""

    HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}

    def __init__(self, upstream: str, store_prefix: str) -> None:
        import http.client
        import http.server
        import threading
        from urllib.parse import urlsplit
        target = urlsplit(upstream)
        self.lock = threading.Condition()
        self.tally = RequestTally()
        self.in_flight = 0  # requests being forwarded: take() waits for them
        proxy = self

        class Forward(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keeps dpm's connections alive, as S3 does

            def log_message(self, *args) -> None:
                pass

            def forward(self) -> None:
                with proxy.lock:
                    proxy.in_flight += 1
                try:
                    self.forward_counted()
                finally:
                    with proxy.lock:
                        proxy.in_flight -= 1
                        proxy.lock.notify_all()

            def forward_counted(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=600)
                try:
                    upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        if name.lower() not in proxy.HOP_BY_HOP:
                            upstream.putheader(name, value)
                    upstream.endheaders()
                    left = length
                    while left:
                        block = self.rfile.read(min(left, 1 << 20))
                        if not block:
                            break
                        upstream.send(block)
                        left -= len(block)
                    response = upstream.getresponse()
                    body_length = response.getheader("Content-Length")
                    body = None if body_length is not None or self.command == "HEAD" else response.read()
                    self.send_response_only(response.status, response.reason)
                    for name, value in response.getheaders():
                        if name.lower() not in proxy.HOP_BY_HOP and not (body is not None and name.lower() == "content-length"):
                            self.send_header(name, value)
                    if body is not None:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    received = 0
                    if body is not None:
                        self.wfile.write(body)
                        received = len(body)
                    elif self.command != "HEAD":
                        while block := response.read(1 << 20):
                            self.wfile.write(block)
                            received += len(block)
                finally:
                    upstream.close()
                with proxy.lock:
                    proxy.tally.add(self.command, request_kind(self.path, store_prefix), length, received)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = forward

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def take(self) -> RequestTally:
        """The requests counted since the last take, once none is being forwarded (a client
        has its answer a moment before the proxy counts the request)."""
        with self.lock:
            self.lock.wait_for(lambda: self.in_flight == 0, timeout=30)
            tally, self.tally = self.tally, RequestTally()
        return tally

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def run(argv: list, *, cwd=None, quiet: bool = False, failure: str | None = None) -> str:
    """Runs an untimed command and returns its stdout; its errors go to the progress log."""
    argv = [str(a) for a in argv]
    done = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, text=True,
                          stderr=subprocess.DEVNULL if quiet else None)
    if done.returncode:
        die(failure or f"{' '.join(argv)} failed (exit {done.returncode})")
    return done.stdout


def query(sql: str, db: str = "postgres") -> str:
    return run(["psql", "-X", "-At", "-d", db, "-c", sql]).strip()


class Bench:
    def __init__(self, settings: Settings, work: Path) -> None:
        self.s = settings
        self.work = work
        self.r = Results()
        self.dpm = settings.dpm_bin
        self.moto = Moto()
        self.rows_on = True  # whether measured steps get a row in the report
        self.databases = ["bench", "bench_r1", "bench_r2", "bench_r3"]  # dropped on exit, with dpm's <db>__...
        self.switch_projects: list[Path] = []  # their background spare refills are waited for on exit
        self.switch_sizes: list[int] = []
        self.source_fingerprint: list[str] = []
        self.versions: dict[str, str] = {}

    # measure: runs a command under /usr/bin/time -v, keeps its stdout in work/KEY.out, and
    # stops the benchmark if it fails.
    def measure(self, key: str, label: str, argv: list, *, cwd=None, env: dict | None = None) -> Step:
        argv = [str(a) for a in argv]
        log(f"==> {label}: {' '.join(argv)}")
        out, err, report = (self.work / f"{key}.{ext}" for ext in ("out", "err", "time"))
        started = time.perf_counter()
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            status = subprocess.run(["/usr/bin/time", "-v", "-o", report, *argv], cwd=cwd, stdout=stdout,
                                    stderr=stderr, env=with_env(env)).returncode
        wall = time.perf_counter() - started
        if status:
            sys.stderr.write(tail(err))
            die(f"{label} failed")
        seconds, rss, cpu = parse_time_report(report.read_text())
        step = self.r.add(Step(key, label, seconds, rss_mb=rss, wall_seconds=wall, cpu_seconds=cpu), self.rows_on)
        log(f"    {seconds:.2f} s, peak RSS {rss:.1f} MB")
        return step

    def measure_dpm(self, key: str, label: str, args: list, *, cwd, env: dict | None = None) -> Step:
        """A dpm step with --json: its output is kept with the step and logged."""
        step = self.measure(key, label, [self.dpm, *args], cwd=cwd, env=env)
        text = (self.work / f"{key}.out").read_text()
        try:
            step.output = json.loads(text)
        except ValueError:
            step.output = None
        log(f"    {compact_json(text)}")
        return step

    def dpm_quiet(self, *args, cwd, env: dict | None = None) -> None:
        """Untimed upkeep; its output goes with the progress log."""
        if subprocess.run([self.dpm, *args], cwd=cwd, stdout=sys.stderr.fileno(), env=with_env(env)).returncode:
            die(f"dpm {' '.join(args)} failed")

    def fingerprint(self, db: str, tables_from: str = "bench") -> list[str]:
        """Per user table, the row count and an order-independent hash of every row's text."""
        tables = query("select format('%I.%I', schemaname, tablename) from pg_tables"
                       " where schemaname not in ('pg_catalog', 'information_schema') order by 1", tables_from)
        return [f"{t} " + query(f"select count(*), coalesce(sum(hashtext(t::text)::bigint), 0) from {t} as t", db)
                for t in tables.splitlines()]

    def expect_rows(self, db: str, expected: list[str], tables_from: str, failure: str) -> None:
        got = self.fingerprint(db, tables_from)
        if got != expected:
            sys.stderr.writelines(difflib.unified_diff(
                [f"{line}\n" for line in expected], [f"{line}\n" for line in got], "expected", db))
            die(failure)

    def verify_restore(self, db: str) -> None:
        self.expect_rows(db, self.source_fingerprint, "bench", f"database {db} does not hold the same rows as bench")
        log(f"    {db} verified: same rows as bench")

    def generate(self, db: str, mb: int, failure: str) -> float:
        """Fills db with about mb MB of gen-dataset.sql's random, realistic content; its wall seconds."""
        run(["createdb", db])
        logfile = self.work / ("gen.log" if db == "bench" else f"gen{mb}.log")
        started = time.perf_counter()
        with open(logfile, "wb") as out:
            status = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"scale={mb}", "-d", db,
                                     "-f", GEN_SQL], stdout=out, stderr=subprocess.STDOUT).returncode
        if status:
            sys.stderr.write(tail(logfile))
            die(failure)
        return time.perf_counter() - started

    # --- the steps ---------------------------------------------------------------------------

    def dataset(self) -> None:
        mb = self.s.size_mb
        log(f"==> generating a dataset of about {mb} MB in database bench")
        seconds = self.generate("bench", mb, "generating the dataset failed")
        size = int(query("select pg_database_size('bench')"))
        self.r.add(Step("gen", "generate dataset (psql, wall time)", round(seconds, 2), bytes=size,
                        wall_seconds=seconds))
        log(f"    {seconds:.2f} s, pg_database_size = {size // 1048576} MiB")
        subprocess.run(["psql", "-X", "-d", "bench", "-c",
                        "select relname as table, reltuples::bigint as rows,"
                        " pg_size_pretty(pg_total_relation_size(oid)) as size from pg_class"
                        " where relkind = 'r' and relnamespace = 'public'::regnamespace"
                        " order by pg_total_relation_size(oid) desc"], stdout=sys.stderr.fileno())
        self.source_fingerprint = self.fingerprint("bench")

    def baseline(self) -> None:
        dump = self.work / "bench.dump"
        self.measure("dump_fc", "a. pg_dump -Fc", ["pg_dump", "-Fc", "-f", dump, "bench"])
        self.r.steps["dump_fc"].bytes = dump.stat().st_size
        run(["createdb", "bench_r1"])
        self.measure("restore_fc", "b. pg_restore -j2 (from -Fc)", ["pg_restore", "-j2", "-d", "bench_r1", dump])
        self.verify_restore("bench_r1")
        run(["dropdb", "bench_r1"])  # frees disk for the next steps
        folder = self.work / "bench.dir"
        self.measure("dump_dir", "c. pg_dump -Fd -Z0 -j2", ["pg_dump", "-Fd", "-Z0", "-j2", "-f", folder, "bench"])
        self.r.steps["dump_dir"].bytes = dir_bytes(folder)
        # The directory dump is kept: its restore is timed in rounds alternating with dpm restore,
        # because single restore timings vary by +-15% on this machine.

    def dpm_uploads(self) -> None:
        log(f"==> dpm {self.versions['dpm']} at {self.dpm}")
        project = self.work / "project"
        project.mkdir()
        run(["git", "init", "-q"], cwd=project)
        store = self.work / "store"
        self.dpm_quiet("init", "--database", "dbname=bench", "--store", f"file:{store}", cwd=project)
        self.dpm_quiet("profile", "create", "bench", "--kind", "shared", "--description", "benchmark dataset",
                       cwd=project)
        first = self.measure_dpm("dpm_upload", "d. dpm upload",
                                 ["upload", "bench", "-m", "benchmark", "--json", *self.s.jobs], cwd=project)
        first.bytes = dir_bytes(store)
        again = self.measure_dpm("dpm_reupload", "e. dpm upload (unchanged)",
                                 ["upload", "bench", "-m", "unchanged", "--json", *self.s.jobs], cwd=project)
        again.bytes = dir_bytes(store) - first.bytes
        # The JSON must parse and carry the promised fields; a silent wrong output would make
        # the numbers above meaningless.
        for step in (first, again):
            fields = ("snapshot", "bytesRead", "bytesStored", "objectsStored", "objectsReused", "seconds")
            missing = [f for f in fields if not isinstance(step.output, dict) or f not in step.output]
            if missing:
                log("dpm upload --json lacks " + ", ".join(missing))
                die(f"unexpected output of {step.label}")

    @staticmethod
    def drop_settled(db: str) -> None:
        """Drops a restored database and writes back what the restore and the drop left dirty
        (with fsync=off, a restore leaves its whole database in the page cache): otherwise the
        next timed step pays for this one's writeback, and any fsync it makes waits for it."""
        run(["dropdb", db])
        os.sync()

    def restores(self) -> None:
        """Restores in alternating rounds, compared by median: single timings vary by +-15%."""
        dumped = self.work / "bench.dir"
        os.sync()  # the first round does not pay for the dumps' and uploads' writeback
        for n in range(1, self.s.rounds + 1):
            run(["createdb", "bench_r2"])
            self.measure(f"restore_dir_{n}", f"c. pg_restore -j2 (from -Fd -Z0) #{n}",
                         ["pg_restore", "-j2", "-d", "bench_r2", dumped])
            if n == 1:
                self.verify_restore("bench_r2")
            self.drop_settled("bench_r2")
            if not self.s.baseline_only:
                self.measure_dpm(f"dpm_restore_{n}", f"f. dpm restore #{n}",
                                 ["restore", "bench", "--into", "bench_r3", "--json", *self.s.jobs],
                                 cwd=self.work / "project")
                self.verify_restore("bench_r3")
                self.drop_settled("bench_r3")
        shutil.rmtree(dumped)
        rounds = range(1, self.s.rounds + 1)
        self.r.add_median("restore_dir", "c. pg_restore -j2 (from -Fd -Z0), median",
                          [f"restore_dir_{n}" for n in rounds])
        if not self.s.baseline_only:
            self.r.add_median("dpm_restore", "f. dpm restore, median", [f"dpm_restore_{n}" for n in rounds])

    def s3(self) -> None:
        """The same bytes through dpm and through aws s3 cp, against moto."""
        if lib("dpm_install_awscli").wait():
            die("cannot install awscli")
        os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
        # One incompressible file as the only media of an empty database: the bytes moved are the
        # same for dpm and awscli (zstd stores random data at its own size).
        run(["createdb", "s3bench"])
        self.databases.append("s3bench")
        project, blob = self.work / "s3project", self.work / "blob.bin"
        (project / "media").mkdir(parents=True)
        with open(project / "media" / "blob.bin", "wb") as out:
            for _ in range(self.s.s3_mb):
                out.write(os.urandom(1 << 20))
        shutil.copyfile(project / "media" / "blob.bin", blob)
        self.dpm_quiet("init", "--database", "dbname=s3bench", "--store", "s3://dpm-bench/dpm", "--media", "media",
                       cwd=project)
        self.dpm_quiet("profile", "create", "s3", "--kind", "shared", cwd=project)
        os.environ["XDG_CACHE_HOME"] = str(self.work / "s3cache")
        # Uploads in rounds of alternating order, each into a fresh moto. moto's
        # CompleteMultipartUpload costs more with bigger parts, so both tools are timed with
        # awscli's default 8 MiB parts and with dpm's default 64 MiB parts.
        aws64 = self.work / "aws64.cfg"
        aws64.write_text("[default]\ns3 =\n  multipart_chunksize = 64MB\n")
        labels = {"dpm64": "g. dpm upload to S3, 64 MiB parts", "dpm8": "g. dpm upload to S3, 8 MiB parts",
                  "aws8": "g. aws s3 cp up, 8 MiB parts (its default)", "aws64": "g. aws s3 cp up, 64 MiB parts"}
        for n in range(1, self.s.s3_rounds + 1):
            order = ["dpm64", "dpm8", "aws8", "aws64"]
            for what in order if n % 2 else order[::-1]:
                endpoint = self.moto.fresh()
                key, label = f"s3_{what}_up_{n}", f"{labels[what]} #{n}"
                aws_up = ["aws", "--endpoint-url", endpoint, "s3", "cp", "--quiet", blob,
                          "s3://dpm-bench/awscli/blob.bin"]
                if what.startswith("dpm"):
                    self.measure(key, label, ["env", f"DPM_S3_PART_SIZE_MB={what[3:]}", self.dpm, "upload", "s3",
                                              "--json"], cwd=project)
                elif what == "aws8":
                    self.measure(key, label, aws_up, cwd=project)
                else:
                    self.measure(key, label, ["env", f"AWS_CONFIG_FILE={aws64}", *aws_up], cwd=project)
        rounds = range(1, self.s.s3_rounds + 1)
        for what, label in labels.items():
            self.r.add_median(f"s3_{what}_up", f"{label}, median", [f"s3_{what}_up_{n}" for n in rounds])
        # Downloads from one fresh moto holding both uploads (made untimed).
        endpoint = self.moto.fresh()
        run([self.dpm, "upload", "s3"], cwd=project, quiet=True, failure="dpm upload to S3 failed")
        run(["aws", "--endpoint-url", endpoint, "s3", "cp", "--quiet", blob, "s3://dpm-bench/awscli/blob.bin"],
            failure="aws s3 cp failed")
        shutil.rmtree(project / "media")
        shutil.rmtree(os.environ["XDG_CACHE_HOME"], ignore_errors=True)
        self.measure_dpm("s3_dpm_down", "h. dpm restore from S3 (cold cache)", ["restore", "s3", "--force", "--json"],
                         cwd=project)
        if not same_bytes(project / "media" / "blob.bin", blob):
            die("dpm restore from S3 did not bring back the same bytes")
        down = self.work / "down.bin"
        self.measure("s3_aws_down", "h. aws s3 cp down",
                     ["aws", "--endpoint-url", endpoint, "s3", "cp", "--quiet", "s3://dpm-bench/awscli/blob.bin", down])
        if not same_bytes(down, blob):
            die("aws s3 cp did not bring back the same bytes")
        down.unlink()
        blob.unlink()
        self.moto.stop()

    def settle(self, db: str) -> None:
        """Before each timed switching step: leave some local work in the working database (a table
        made and dropped: its rows stay as they were), so that the stash the step makes is kept
        (dpm recycles an untouched one into a spare) and undo has a stash to rename back; then
        write back what the upkeep left dirty (clones, drops), so no step pays for the one before."""
        if subprocess.run(["psql", "-X", "-q", "-d", db, "-c",
                           "CREATE TABLE dpm_bench_local_work (); DROP TABLE dpm_bench_local_work"]).returncode:
            die(f"could not leave local work in {db}")
        os.sync()

    def switch_measure(self, key: str, label: str, method: str, args: list, *, cwd, env: dict | None = None) -> Step:
        """Stops unless dpm's --json output says it switched by method: a benchmark of the wrong
        path is worthless."""
        step = self.measure(key, label, [self.dpm, *args], cwd=cwd, env=env)
        log(f"    wall time {step.wall_seconds:.3f} s")
        text = (self.work / f"{key}.out").read_text()
        try:
            step.output = json.loads(text)
        except ValueError:
            die(f"{label}: no JSON result: {text}")
        got = step.output.get("method") if isinstance(step.output, dict) else None
        if got != method:
            die(f'{label}: dpm switched by "{"" if got is None else got}", not "{method}": {compact_json(text)}')
        log(f"    {compact_json(text)}")
        return step

    def switching(self, mb: int, db: str) -> None:
        """dpm use / undo between two cached profiles (a, b) uploaded from db, which holds about mb MB;
        then, in rounds: dpm use on the spare path (a ready copy is renamed into place), dpm undo
        (the stash is renamed back), dpm use on the clone path (no spare) alternating with a bare
        CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY of the same template. Set-up steps
        between timed ones (spare refills, stash drops) are not timed. Leaves db holding the
        same rows, and no other copies."""
        log(f"==> switching, {mb} MB dataset in database {db}")
        expected = self.source_fingerprint if db == "bench" else self.fingerprint(db, db)
        project = self.work / f"switch-{db}"
        project.mkdir()
        self.switch_projects.append(project)
        self.databases.append(f"{db}_clone")
        run(["git", "init", "-q"], cwd=project)

        def quiet(*args: str, **env: str) -> None:
            self.dpm_quiet(*args, cwd=project, env=env or None)

        quiet("init", "--database", f"dbname={db}", "--store", f"file:{self.work / 'store'}")
        quiet("profile", "create", "a", "--kind", "shared", "--description", "switching benchmark, profile a")
        quiet("profile", "create", "b", "--kind", "shared", "--description", "switching benchmark, profile b")
        quiet("upload", "a", "-m", "switching a", *self.s.jobs)
        quiet("upload", "b", "-m", "switching b", *self.s.jobs)  # same objects: quick

        # First uses: each restores its snapshot into a template (then clones it).
        self.switch_measure(f"sw_{mb}_first", f"i. dpm use, first (restore), {mb} MB", "restore",
                            ["use", "a", "--json", *self.s.jobs], cwd=project, env={"DPM_REFILL": "off"})
        self.rows_on = False
        self.switch_measure(f"sw_{mb}_first_b", f"i. dpm use b, first (restore), {mb} MB", "restore",
                            ["use", "b", "--json", *self.s.jobs], cwd=project, env={"DPM_REFILL": "off"})
        self.expect_rows(db, expected, db, f"after dpm use, database {db} does not hold the rows it was uploaded with")
        log(f"    {db} verified after dpm use: same rows as uploaded")

        rounds = range(1, self.s.switch_rounds + 1)
        profiles = ["a", "b"]  # [current, other]
        # Spare path: a ready copy of the other profile's template is renamed into place.
        for n in rounds:
            quiet("cache", "refill")  # waits for the background refill, makes missing spares
            quiet("stash", "prune", "--keep", "1")
            self.settle(db)
            self.switch_measure(f"sw_{mb}_spare_{n}", f"j. dpm use (spare) {mb} MB #{n}", "spare",
                                ["use", profiles[1], "--json"], cwd=project)
            profiles.reverse()
        # Undo: the newest stash is renamed back (the working database becomes one).
        quiet("cache", "refill")  # the last use started one in the background: let it finish
        for n in rounds:
            quiet("stash", "prune", "--keep", "1")
            self.settle(db)
            self.switch_measure(f"sw_{mb}_undo_{n}", f"k. dpm undo {mb} MB #{n}", "stash", ["undo", "--json"],
                                cwd=project)
            profiles.reverse()
        # Clone path: no spares; dpm use alternates with a bare clone of the same template.
        quiet("cache", "refill", DPM_SPARES="0")  # waits for the background refill, drops the spares
        quiet("stash", "prune", "--keep", "1")
        templates = json.loads(run([self.dpm, "cache", "list", "--json"], cwd=project, failure="dpm cache list failed"))
        for n in rounds:
            other = profiles[1]
            names = [t["database"] for t in templates if t.get("profile") == other]
            if len(names) != 1:
                log(f"expected one template of profile {other}, found {names}")
                die(f"cannot find the template of profile {other} in dpm cache list --json")
            self.settle(db)
            self.switch_measure(f"sw_{mb}_clone_{n}", f"l. dpm use (clone) {mb} MB #{n}", "clone",
                                ["use", other, "--json"], cwd=project, env={"DPM_REFILL": "off", "DPM_SPARES": "0"})
            quiet("stash", "prune", "--keep", "1")
            self.settle(db)
            step = self.measure(f"sw_{mb}_create_{n}", f"l. CREATE DATABASE TEMPLATE {mb} MB #{n}",
                                ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                                 f'CREATE DATABASE "{db}_clone" TEMPLATE "{names[0]}" STRATEGY FILE_COPY'])
            log(f"    wall time {step.wall_seconds:.3f} s")
            run(["dropdb", f"{db}_clone"])
            profiles.reverse()
        self.rows_on = True

        # Medians as report rows: j (spare), k (undo), l (clone, and the bare clone).
        for what, label in (("spare", f"j. dpm use (spare) {mb} MB, median"),
                            ("undo", f"k. dpm undo {mb} MB, median"),
                            ("clone", f"l. dpm use (clone) {mb} MB, median"),
                            ("create", f"l. CREATE DATABASE {mb} MB, median")):
            self.r.add_median(f"sw_{mb}_{what}", label, [f"sw_{mb}_{what}_{n}" for n in rounds], by_wall=True, row=True)
        self.r.steps[f"sw_{mb}_spare"].bytes = int(query(f"select pg_database_size('{db}')"))
        self.switch_sizes.append(mb)

        # Free the disk: templates (with any spare), stashes; the working database stays.
        quiet("cache", "prune", "--keep", "0")
        quiet("stash", "prune", "--keep", "0")
        left = query(f"select string_agg(datname, ', ') from pg_database where starts_with(datname, '{db}__')")
        if left:
            die(f"databases left beside {db} after pruning: {left}")

    def switch_all(self) -> None:
        # The small size first; skipped when the dataset itself is that small.
        if self.s.size_mb > SMALL_SWITCH_MB:
            db = f"bench{SMALL_SWITCH_MB}"
            self.databases.append(db)
            log(f"==> generating a dataset of about {SMALL_SWITCH_MB} MB in database {db}")
            self.generate(db, SMALL_SWITCH_MB, f"generating the {SMALL_SWITCH_MB} MB dataset failed")
            self.switching(SMALL_SWITCH_MB, db)
            run(["dropdb", db])
        self.switching(self.s.size_mb, "bench")

    def empty_store(self, name: str) -> dict:
        """The environment of an upload into an empty file store of its own, work/NAME."""
        store = self.work / name
        shutil.rmtree(store, ignore_errors=True)
        return {"DPM_STORE": f"file:{store}"}

    def sanitize(self) -> None:
        """m. dpm upload of the dataset by a profile with sanitize rules against the same upload by
        a profile without, in alternating rounds, each into an empty store (so both hash, compress
        and store every object, and dedup favours neither)."""
        log("==> sanitize: dpm upload with rules against without")
        project = self.work / "sanitize-project"
        project.mkdir()
        run(["git", "init", "-q"], cwd=project)
        self.dpm_quiet("init", "--database", "dbname=bench", "--store", f"file:{self.work / 'sanitize-store'}",
                       cwd=project)
        self.dpm_quiet("profile", "create", "plain", "--kind", "shared", "--description", "benchmark dataset, no rules",
                       cwd=project)
        self.dpm_quiet("profile", "create", "sanitized", "--kind", "shared", cwd=project)
        (project / "profiles" / "sanitized" / "profile.yaml").write_text(SANITIZED_PROFILE)
        key = {"DPM_SANITIZE_KEY": SANITIZE_KEY}
        # Untimed: every column that looks personal has a rule, or the uploads would refuse.
        self.dpm_quiet("sanitize", "check", "sanitized", cwd=project, env=key)
        labels = {"plain": "m. dpm upload, no rules", "rules": "m. dpm upload, 4 rules",
                  "streamed": "m. dpm upload, 4 rules, 64 MB TMPDIR"}
        # With a TMPDIR too small for a scratch copy of the data, an upload with rules streams it
        # (three reads of one snapshot): a tmpfs of 64 MB, where this user may mount one.
        small = self.work / "small-tmp"
        small.mkdir()
        mounted = os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(small)],
                                                         stderr=subprocess.DEVNULL).returncode == 0
        variants = ("plain", "rules", "streamed") if mounted else ("plain", "rules")
        if not mounted:
            self.r.notes.append("m. the streamed variant (64 MB TMPDIR) did not run: mounting a tmpfs needs root")
        try:
            self.sanitize_rounds(project, key, labels, variants, small)
        finally:
            if mounted:
                subprocess.run(["umount", "-l", str(small)])
        shutil.rmtree(self.work / "sanitize-store")
        rounds = range(1, self.s.rounds + 1)
        for what in variants:
            self.r.add_median(f"san_{what}", f"{labels[what]}, median", [f"san_{what}_{n}" for n in rounds], row=True)
        self.r.sanitized_rows = int(query("select " + " + ".join(f"(select count(*) from {t})" for t in SANITIZED_TABLES), "bench"))

    def sanitize_rounds(self, project: Path, key: dict, labels: dict, variants: tuple, small: Path) -> None:
        for n in range(1, self.s.rounds + 1):
            for what in variants if n % 2 else tuple(reversed(variants)):
                profile = "plain" if what == "plain" else "sanitized"
                tmp = {"TMPDIR": str(small)} if what == "streamed" else {}
                step = self.measure_dpm(f"san_{what}_{n}", f"{labels[what]} #{n}",
                                        ["upload", profile, "-m", "benchmark", "--json", *self.s.jobs], cwd=project,
                                        env={**key, **tmp, **self.empty_store("sanitize-store")})
                record = step.output.get("sanitize") if isinstance(step.output, dict) else None
                # A benchmark of rules that were not applied (or of a plain upload that applied
                # some) is worthless.
                changed = record.get("columns") if isinstance(record, dict) else None
                if what != "plain" and changed != SANITIZED_RULES:
                    die(f'{step.label}: dpm upload --json says its rules changed {changed} columns, not {SANITIZED_RULES}')
                if what == "plain" and record:
                    die(f'{step.label}: an upload without rules has a "sanitize" record: {record}')

    def from_dump(self) -> None:
        """n. dpm upload --from-dump of the pg_dump -Fc file of step a against pg_restore of that
        file into a fresh database followed by a dpm upload of it, in alternating rounds, each
        upload into an empty store. Skipped when this dpm's upload has no --from-dump."""
        help_text = subprocess.run([self.dpm, "upload", "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True).stdout
        if "--from-dump" not in help_text:
            self.r.notes.append("n. dpm upload --from-dump: not timed, `dpm upload --help` lists no --from-dump")
            log(f"==> {self.r.notes[-1]}")
            return
        log("==> from a dump: dpm upload --from-dump against pg_restore + dpm upload")
        dump, project = self.work / "bench.dump", self.work / "sanitize-project"
        self.databases.append("bench_fd")
        for n in range(1, self.s.rounds + 1):
            for what in ("dump", "restore") if n % 2 else ("restore", "dump"):
                if what == "dump":
                    direct = self.measure_dpm(f"fd_dpm_{n}", f"n. dpm upload --from-dump #{n}",
                                              ["upload", "plain", "--from-dump", dump, "-m", "from the dump", "--json",
                                               *self.s.jobs], cwd=project, env=self.empty_store("from-dump-store"))
                    continue
                run(["createdb", "bench_fd"])
                restore = self.measure(f"fd_restore_{n}", f"n. pg_restore -j2 (from -Fc) #{n}",
                                       ["pg_restore", "-j2", "-d", "bench_fd", dump])
                upload = self.measure_dpm(f"fd_upload_{n}", f"n. dpm upload of that database #{n}",
                                          ["upload", "plain", "--from", "dbname=bench_fd", "-m", "restored", "--json",
                                           *self.s.jobs], cwd=project, env=self.empty_store("from-dump-store"))
                run(["dropdb", "bench_fd"])
                self.r.add(Step(f"fd_pair_{n}", f"n. pg_restore + dpm upload #{n}",
                                round(restore.seconds + upload.seconds, 2), rss_mb=max(restore.rss_mb, upload.rss_mb),
                                wall_seconds=restore.wall_seconds + upload.wall_seconds), row=False)
            # Both paths must capture the same rows, or the ratio compares different work.
            rows = [step.output.get("rows") if isinstance(step.output, dict) else None for step in (direct, upload)]
            if rows[0] != rows[1]:
                die(f"dpm upload --from-dump captured {rows[0]} rows, pg_restore + dpm upload {rows[1]}")
        shutil.rmtree(self.work / "from-dump-store")
        rounds = range(1, self.s.rounds + 1)
        self.r.add_median("fd_dpm", "n. dpm upload --from-dump, median", [f"fd_dpm_{n}" for n in rounds], row=True)
        self.r.add_median("fd_pair", "n. pg_restore + dpm upload, median", [f"fd_pair_{n}" for n in rounds], row=True)

    def encryption(self) -> None:
        """o. dpm upload of the dataset into an empty encrypted store against the same upload into
        an empty plaintext store, in alternating rounds; an unchanged re-upload into the encrypted
        store; then dpm restore from each, in alternating rounds. Two projects that differ only in
        dpm.yaml's encryption: (one recipient, an identity made by dpm key generate)."""
        log("==> encryption: dpm upload and restore of an encrypted store against a plaintext one")
        identity = {"DPM_IDENTITY_FILE": str(self.work / "identity.txt")}
        projects = {"plain": self.work / "plain-project", "sealed": self.work / "sealed-project"}
        stores = {"plain": "encrypt-plain-store", "sealed": "encrypt-sealed-store"}
        recipient = subprocess.run([self.dpm, "key", "generate"], stdout=subprocess.PIPE, text=True,
                                   env=with_env(identity)).stdout.strip()
        if not recipient.startswith("age1"):
            die("dpm key generate printed no age1 public key")
        for what, project in projects.items():
            project.mkdir()
            run(["git", "init", "-q"], cwd=project)
            self.dpm_quiet("init", "--database", "dbname=bench", "--store", f"file:{self.work / stores[what]}", cwd=project)
            self.dpm_quiet("profile", "create", "bench", "--kind", "shared", "--description", "benchmark dataset",
                           cwd=project)
        self.dpm_quiet("key", "add", recipient, "--comment", "benchmark", cwd=projects["sealed"], env=identity)
        labels = {"plain": "o. dpm upload, plaintext", "sealed": "o. dpm upload, encrypted"}
        rounds = range(1, self.s.rounds + 1)
        for n in rounds:
            for what in ("plain", "sealed") if n % 2 else ("sealed", "plain"):
                store = self.empty_store(stores[what])
                step = self.measure_dpm(f"enc_up_{what}_{n}", f"{labels[what]} #{n}",
                                        ["upload", "bench", "-m", "benchmark", "--json", *self.s.jobs],
                                        cwd=projects[what], env={**identity, **store})
                step.bytes = dir_bytes(self.work / stores[what])
        # Both must store the same content (else the ratio compares different work), and only
        # the encrypted one may say its ids are keyed.
        for what, keyed in (("plain", False), ("sealed", True)):
            manifest = json.loads((projects[what] / "profiles" / "bench" / "manifest.json").read_text())
            if (manifest.get("objectIDs") == "hmac-sha256") != keyed:
                die(f"the {what} store's manifest says objectIDs {manifest.get('objectIDs')!r}")
        for key in ("rows", "bytesRead"):
            got = [self.r.steps[f"enc_up_{what}_{self.s.rounds}"].output.get(key) for what in ("plain", "sealed")]
            if got[0] != got[1]:
                die(f"the plaintext and encrypted uploads read different {key}: {got}")
        sealed_store = self.work / stores["sealed"]
        before = dir_bytes(sealed_store)
        again = self.measure_dpm("enc_reupload", "o. dpm upload, encrypted, unchanged",
                                 ["upload", "bench", "-m", "unchanged", "--json", *self.s.jobs],
                                 cwd=projects["sealed"], env={**identity, "DPM_STORE": f"file:{sealed_store}"})
        again.bytes = dir_bytes(sealed_store) - before
        restore_labels = {"plain": "o. dpm restore, plaintext", "sealed": "o. dpm restore, encrypted"}
        for n in rounds:
            for what in ("plain", "sealed") if n % 2 else ("sealed", "plain"):
                self.measure_dpm(f"enc_re_{what}_{n}", f"{restore_labels[what]} #{n}",
                                 ["restore", "bench", "--into", "bench_r3", "--json", *self.s.jobs],
                                 cwd=projects[what], env={**identity, "DPM_STORE": f"file:{self.work / stores[what]}"})
                self.verify_restore("bench_r3")
                self.drop_settled("bench_r3")
        for what in ("plain", "sealed"):
            shutil.rmtree(self.work / stores[what])
            self.r.add_median(f"enc_up_{what}", f"{labels[what]}, median", [f"enc_up_{what}_{n}" for n in rounds], row=True)
            self.r.steps[f"enc_up_{what}"].bytes = self.r.steps[f"enc_up_{what}_{self.s.rounds}"].bytes
        for what in ("plain", "sealed"):
            self.r.add_median(f"enc_re_{what}", f"{restore_labels[what]}, median", [f"enc_re_{what}_{n}" for n in rounds],
                              row=True)

    def verify_read(self) -> None:
        """p. dpm verify --read-data --all of the benchmark's store (the objects of every record:
        every object in it), with dpm's jobs and with -j 1, against `zstd -t` of the same object
        files (decompression only, one process) and `zstd -dc | sha256sum` (decompression and
        hashing: the work of verify, on one core), in alternating rounds. The files are in the
        page cache for all of them, so the figures are of decompressing and hashing, not of the
        disk. MB/s are stored (compressed) bytes over wall seconds."""
        store, project = self.work / "store", self.work / "project"
        objects = sorted(p for p in (store / "objects").rglob("*") if p.is_file())
        self.r.verify_objects, self.r.verify_stored = len(objects), sum(p.stat().st_size for p in objects)
        log(f"==> verify: dpm verify --read-data of {len(objects)} objects ({self.r.verify_stored} bytes) against zstd")
        listing = self.work / "verify-objects"
        listing.write_bytes(b"".join(bytes(p) + b"\0" for p in objects))
        commands = {"zstdt": f'xargs -0 zstd -tq < "{listing}"',
                    "zsha": f'set -o pipefail; xargs -0 zstd -dcq < "{listing}" | sha256sum >/dev/null'}
        labels = {"dpm": "p. dpm verify --read-data", "dpm1": "p. dpm verify --read-data -j 1",
                  "zstdt": "p. zstd -t of the objects", "zsha": "p. zstd -dc objects | sha256sum"}
        rounds = range(1, self.s.rounds + 1)
        for n in rounds:
            order = ["dpm", "dpm1", "zstdt", "zsha"]
            for what in order if n % 2 else order[::-1]:
                key, label = f"vr_{what}_{n}", f"{labels[what]} #{n}"
                if what in commands:
                    self.measure(key, label, ["bash", "-c", commands[what]])
                    continue
                jobs = ["--jobs", "1"] if what == "dpm1" else self.s.jobs
                out = self.measure_dpm(key, label, ["verify", "--all", "--read-data", "--json", *jobs], cwd=project).output
                # Verify must have read exactly those files, and found them intact: else the
                # comparison is of different work.
                got = [out.get(k) if isinstance(out, dict) else None for k in ("objectsRead", "bytesRead", "intact")]
                if got != [len(objects), self.r.verify_stored, True]:
                    die(f"{label}: dpm verify --json says objectsRead, bytesRead, intact = {got},"
                        f" not {len(objects)}, {self.r.verify_stored}, True")
        for what, label in labels.items():
            self.r.add_median(f"vr_{what}", f"{label}, median", [f"vr_{what}_{n}" for n in rounds], by_wall=True, row=True)
            self.r.steps[f"vr_{what}"].bytes = self.r.verify_stored
        listing.unlink()

    GC_OBJECTS, GC_RECORDS, GC_GARBAGE = 100_000, 2_000, 10_000
    # What each command of the store-at-scale step runs, and its label.
    SCALE_COMMANDS = {"log": (["log", "gc", "--json"], "dpm log (2,000 records)"),
                      "verify": (["verify", "--all", "--json"], "dpm verify --all (by size)"),
                      "gc": (["gc", "--dry-run", "--json"], "dpm gc --dry-run")}

    def gc_scale(self) -> None:
        """q. The store at scale: dpm log, dpm verify --all (by size) and dpm gc --dry-run of a
        generated store: 100,000 small objects, 90,000 of them named by 2,000 snapshot records
        (45 each), 10,000 by none, in a file: store and in moto (the same keys, copied with aws
        s3 sync), in alternating rounds. The objects' contents are never read: these commands
        read listings, records and sizes. Beside them, aws s3api list-objects-v2 of the same
        100,000 keys from moto: what moto itself takes to list them."""
        project = self.work / "gc-project"
        store = self.work / "gc-store"
        project.mkdir()
        run(["git", "init", "-q"], cwd=project)
        self.dpm_quiet("init", "--database", "dbname=bench", "--store", f"file:{store}", cwd=project)
        self.dpm_quiet("profile", "create", "gc", "--kind", "shared", cwd=project)
        per_record = (self.GC_OBJECTS - self.GC_GARBAGE) // self.GC_RECORDS
        log(f"==> store at scale: generating {self.GC_OBJECTS} objects, {self.GC_RECORDS} records of {per_record} each")
        ids = [hashlib.sha256(f"gc object {i}".encode()).hexdigest() for i in range(self.GC_OBJECTS)]
        sizes = {oid: 48 + i % 32 for i, oid in enumerate(ids)}
        old = time.time() - 3600  # older than the stale window: the unreferenced ones are garbage
        for oid in ids:
            path = store / "objects" / oid[:2] / oid
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(os.urandom(sizes[oid]))
            os.utime(path, (old, old))
        records = store / "snapshots" / "gc"
        records.mkdir(parents=True)
        for n in range(self.GC_RECORDS):
            named = ids[n * per_record:(n + 1) * per_record]
            art = lambda path, oid, table=None: {k: v for k, v in {"path": path, "sha256": oid, "size": 100,
                                                                   "storedSize": sizes[oid], "table": table,
                                                                   "rows": 1 if table else None}.items()
                                                  if v is not None}
            created = time.gmtime(old - 3600 * (self.GC_RECORDS - n))
            record = {"format": 1, "id": time.strftime("%Y%m%dT%H%M%SZ", created) + f"-{n:06x}", "profile": "gc",
                      "kind": "shared", "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", created), "message": "",
                      "tool": "dpm bench", "compression": "zstd",
                      "source": {"database": "bench", "serverVersion": "16", "serverVersionNumber": 160000},
                      "filters": {"include": [], "exclude": [], "excludeData": []}, "migrations": [],
                      "schema": art("schema.sql", named[0]),
                      "data": [art("toc.dat", named[1])] + [art(f"{3000 + k}.dat", oid, f"public.t{k}")
                                                            for k, oid in enumerate(named[2:])],
                      "sizes": {"total": 100 * per_record, "stored": sum(sizes[o] for o in named),
                                "data": 100 * (per_record - 1), "media": 0}}
            (records / f"{record['id']}.json").write_text(json.dumps(record, sort_keys=True, indent=2) + "\n")
        self.r.gc_store = {"objects": self.GC_OBJECTS, "records": self.GC_RECORDS, "garbage": self.GC_GARBAGE}
        expected_gc = [self.GC_RECORDS, self.GC_OBJECTS - self.GC_GARBAGE, self.GC_GARBAGE, 0]

        os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
        endpoint = self.moto.fresh()
        config = self.work / "aws-sync.cfg"
        config.write_text("[default]\ns3 =\n  max_concurrent_requests = 32\n")
        log(f"==> store at scale: copying the store into moto (aws s3 sync)")
        started = time.perf_counter()
        run(["env", f"AWS_CONFIG_FILE={config}", "aws", "--endpoint-url", endpoint, "s3", "sync", "--quiet",
             str(store), "s3://dpm-bench/gc"], failure="aws s3 sync of the generated store into moto failed")
        log(f"    {time.perf_counter() - started:.1f} s")
        # moto's objects are as new as the copy: a stale window of 2 s (waited out) makes the
        # unreferenced ones garbage there too, as they are in the file: store.
        time.sleep(3)
        stores = {"file": {"DPM_STORE": f"file:{store}"},
                  "s3": {"DPM_STORE": "s3://dpm-bench/gc", "DPM_LEASE_STALE_SECONDS": "2", "DPM_LEASE_REFRESH_SECONDS": "0.5"}}
        where = {"file": "file: store", "s3": "moto"}
        listing = ["aws", "--endpoint-url", endpoint, "s3api", "list-objects-v2", "--bucket", "dpm-bench",
                   "--prefix", "gc/objects/", "--query", "KeyCount"]
        rounds = range(1, self.s.rounds + 1)
        for n in rounds:
            for what in ["file", "s3"] if n % 2 else ["s3", "file"]:
                for command, (args, title) in self.SCALE_COMMANDS.items():
                    key, label = f"scale_{command}_{what}_{n}", f"q. {title}, {where[what]} #{n}"
                    out = self.measure_dpm(key, label, [*args, *self.s.jobs] if command != "log" else args,
                                           cwd=project, env=stores[what]).output
                    self.check_scale_output(command, label, out, expected_gc)
            self.measure(f"scale_list_s3_{n}", f"q. aws s3api list-objects-v2, moto #{n}", listing, cwd=project)
        for what in stores:
            for command, (_, title) in self.SCALE_COMMANDS.items():
                self.r.add_median(f"scale_{command}_{what}", f"q. {title}, {where[what]}, median",
                                  [f"scale_{command}_{what}_{n}" for n in rounds], by_wall=True, row=True)
        self.r.add_median("scale_list_s3", "q. aws s3api list-objects-v2, moto, median",
                          [f"scale_list_s3_{n}" for n in rounds], by_wall=True, row=True)
        self.moto.stop()

    def check_scale_output(self, command: str, label: str, out, expected_gc: list) -> None:
        """Each command of step q must have seen the whole generated store."""
        if not isinstance(out, dict):
            die(f"{label}: no JSON report")
        if command == "log" and len(out.get("snapshots", [])) != self.GC_RECORDS:
            die(f"{label}: dpm log lists {len(out.get('snapshots', []))} snapshots, not {self.GC_RECORDS}")
        if command == "verify" and out.get("intact") is not True:
            die(f"{label}: dpm verify found the generated store not intact")
        if command == "gc":
            got = [out.get(k) for k in ("records", "referencedObjects", "garbageObjects", "deletedObjects")]
            if got != expected_gc:
                die(f"{label}: dpm gc --json says records, referencedObjects, garbageObjects, deletedObjects = {got},"
                    f" not {expected_gc}")

    # --- r. refresh --------------------------------------------------------------------------

    REFRESH_TABLE = "public.documents"  # the biggest table of gen-dataset.sql, which REFRESH_SQL changes
    REFRESH_DB = "bench_refresh"
    # Which rows the refresh updates: 1% of the table (:n_change rows), uniformly at random, or
    # in 20 contiguous id ranges, one at a random place in each twentieth of the ids.
    REFRESH_CHOICE = {
        "scattered": "select id from documents order by random() limit :n_change",
        "clustered": "select d.id from documents d join (select :lo + k * ((:hi - :lo + 1) / 20)"
                     " + floor(random() * greatest((:hi - :lo + 1) / 20 - ceil(:n_change / 20.0), 1))::bigint as s"
                     " from generate_series(0, 19) k) r on d.id >= r.s and d.id < r.s + ceil(:n_change / 20.0)::bigint"
                     " order by d.id limit :n_change",
    }
    # Updates the chosen rows (a new title and updated_at, as an application edits a document) and
    # inserts 1% new rows of random text in gen-dataset.sql's manner (sentences of words; the words
    # are taken from the table's own titles, so the vocabulary is the generator's).
    REFRESH_SQL = """\\set ON_ERROR_STOP 1
select setseed(0.18);
select count(*) as n_rows, ceil(count(*) / 100.0)::int as n_change, min(id) as lo, max(id) as hi from documents \\gset
select coalesce(max(id), 1) as n_customers from customers \\gset
create temporary table refresh_words as
  select array_agg(w order by w) as a
  from (select distinct w from (select regexp_split_to_table(lower(title), ' ') as w
                                from (select title from documents order by id limit 5000) t) s where w <> '') x;
create function pg_temp.words(n int) returns text language sql volatile as $$
  select string_agg(d.a[1 + floor(power(random(), 3) * cardinality(d.a))::int], ' ')
  from refresh_words d, generate_series(1, n) $$;
create temporary table refresh_ids as {choice};
update documents d set title = initcap(pg_temp.words(3 + floor(random() * 6)::int + (d.id % 1)::int)),
                       updated_at = d.updated_at + interval '1 day'
where d.id in (select id from refresh_ids);
insert into documents (customer_id, title, body, tags, created_at, updated_at)
select d.c, initcap(pg_temp.words(3 + floor(random() * 6)::int + (d.c % 1)::int)),
       (select string_agg(upper(left(t.x, 1)) || substr(t.x, 2) || '.',
                          case when random() < 0.2 then E'\\n\\n' else ' ' end)
        from generate_series(1, d.sentences) s(i),
             lateral pg_temp.words(6 + floor(random() * 20)::int + 0 * s.i) as t(x)),
       array(select pg_temp.words(1) from generate_series(1, floor(random() * 5)::int + (d.c % 1)::int)),
       d.at, d.at + random() * interval '90 days'
from (select 1 + floor(random() * :n_customers)::bigint as c, (5 + floor(power(random(), 2) * 120))::int as sentences,
             timestamptz '2026-01-01' + random() * interval '30 days' as at
      from generate_series(1, :n_change)) d;
select :n_rows as rows, (select count(*) from refresh_ids) as updated, :n_change as inserted, :lo as lo, :hi as hi;
"""

    def s3_environment(self) -> None:
        if lib("dpm_install_awscli").wait():
            die("cannot install awscli")
        os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")

    def refresh(self) -> None:
        """r. The refresh: the dataset uploaded into an empty store, 1% of its biggest table's rows
        updated and 1% inserted, uploaded again: the bytes the second upload stored. Then, from
        moto through the counting proxy, a restore of the first snapshot with an empty download
        cache (it fills the cache), and a restore of the refreshed one: the bytes it downloaded.
        A file: store has no download cache (dpm reads it in place), hence moto. Two variants:
        the updated rows scattered uniformly (the issue's case) and in 20 contiguous id ranges."""
        biggest = query("select format('%I.%I', schemaname, tablename) from pg_tables where schemaname = 'public'"
                        " order by pg_table_size(format('%I.%I', schemaname, tablename)) desc limit 1", "bench")
        if biggest != self.REFRESH_TABLE:
            die(f"the refresh step changes {self.REFRESH_TABLE}, but the biggest table is {biggest}")
        self.s3_environment()
        self.databases.append(self.REFRESH_DB)
        for variant in self.REFRESH_CHOICE:
            self.refresh_variant(variant)

    def refresh_variant(self, variant: str) -> None:
        log(f"==> refresh ({variant}): 1% of {self.REFRESH_TABLE} updated and 1% inserted, then uploaded again")
        db = self.REFRESH_DB
        run(["createdb", "-T", "bench", db])
        project, store = self.work / f"refresh-{variant}", self.work / f"refresh-store-{variant}"
        project.mkdir()
        run(["git", "init", "-q"], cwd=project)
        self.dpm_quiet("init", "--database", f"dbname={db}", "--store", f"file:{store}", cwd=project)
        self.dpm_quiet("profile", "create", "refresh", "--kind", "shared", "--description", "refresh benchmark", cwd=project)
        first = self.measure_dpm(f"rf_{variant}_up1", f"r. dpm upload, first ({variant})",
                                 ["upload", "refresh", "-m", "first", "--json", *self.s.jobs], cwd=project)
        objects_first = dir_bytes(store / "objects")
        started = time.perf_counter()
        done = subprocess.run(["psql", "-X", "-q", "-At", "-F", " ", "-d", db, "-f", "-"], text=True,
                              input=self.REFRESH_SQL.format(choice=self.REFRESH_CHOICE[variant]),
                              stdout=subprocess.PIPE)
        if done.returncode:
            die(f"changing {self.REFRESH_TABLE} for the refresh step failed")
        rows, updated, inserted, lo, hi = (int(x) for x in done.stdout.split()[-5:])
        if updated != inserted:
            die(f"the refresh step updated {updated} rows, not {inserted}")
        log(f"    {self.REFRESH_TABLE}: {rows} rows (ids {lo} to {hi}), {updated} updated, {inserted} inserted,"
            f" in {time.perf_counter() - started:.1f} s")
        second = self.measure_dpm(f"rf_{variant}_up2", f"r. dpm upload, refreshed ({variant})",
                                  ["upload", "refresh", "-m", "refreshed", "--json", *self.s.jobs], cwd=project)
        objects_growth = dir_bytes(store / "objects") - objects_first
        for step in (first, second):
            if not isinstance(step.output, dict) or not isinstance(step.output.get("bytesStored"), int):
                die(f"{step.label}: dpm upload --json has no bytesStored")
            step.bytes = step.output["bytesStored"]
        ids = [first.output.get("snapshot"), second.output.get("snapshot")]
        record = json.loads((store / "snapshots" / "refresh" / f"{ids[1]}.json").read_text())
        refreshed_stored = record["sizes"]["stored"]
        expected = self.fingerprint(db, db)

        endpoint = self.moto.fresh()
        run(["aws", "--endpoint-url", endpoint, "s3", "sync", "--quiet", "--exclude", "*.tmp*", str(store),
             "s3://dpm-bench/refresh"], failure="aws s3 sync of the refresh store into moto failed")
        proxy = CountingProxy(endpoint, "/dpm-bench/refresh/")
        cache = self.work / f"refresh-cache-{variant}"
        env = {"AWS_ENDPOINT_URL_S3": proxy.endpoint, "DPM_STORE": "s3://dpm-bench/refresh", "XDG_CACHE_HOME": str(cache)}
        try:
            self.measure_dpm(f"rf_{variant}_cold", f"r. dpm restore first, cold ({variant})",
                             ["restore", "refresh", "--snapshot", ids[0], "--into", "bench_r3", "--json", *self.s.jobs],
                             cwd=project, env=env)
            cold = proxy.take()
            log(f"    {cold.summary()}")
            run(["dropdb", "bench_r3"])
            cached = dir_bytes(cache)
            warm_step = self.measure_dpm(f"rf_{variant}_warm", f"r. dpm restore refreshed ({variant})",
                                         ["restore", "refresh", "--snapshot", ids[1], "--into", "bench_r3", "--json",
                                          *self.s.jobs], cwd=project, env=env)
            warm = proxy.take()
            log(f"    {warm.summary()}")
        finally:
            proxy.close()
            self.moto.stop()
        cache_growth = dir_bytes(cache) - cached
        warm_step.bytes = warm.received["data"]
        self.expect_rows("bench_r3", expected, db, f"the refreshed snapshot restored ({variant}) does not hold the rows of {db}")
        log("    bench_r3 verified: same rows as the refreshed database")
        run(["dropdb", "bench_r3"])
        run(["dropdb", db])
        shutil.rmtree(store)
        shutil.rmtree(cache)
        self.r.refresh[variant] = {
            "table": self.REFRESH_TABLE, "rows": rows, "updated": updated, "inserted": inserted,
            "first_stored": first.bytes, "second_stored": second.bytes, "objects_growth": objects_growth,
            "new_bytes_pct": 100 * second.bytes / first.bytes, "objects_growth_pct": 100 * objects_growth / first.bytes,
            "refreshed_snapshot_stored": refreshed_stored, "downloaded": warm.received["data"],
            "downloaded_pct": 100 * warm.received["data"] / refreshed_stored, "cache_growth": cache_growth,
            "cold_restore_requests": cold.as_json(), "warm_restore_requests": warm.as_json()}

    # --- s. many tables ----------------------------------------------------------------------

    MANY_DB, MANY_ROWS = "bench_many", 300
    # Tables t0001...: a primary key and 3 more indexes (4 in all, as in the issue: 4,800 for
    # 1,200 tables), a foreign key to the previous table (1,199 for 1,200), MANY_ROWS rows of
    # random words each. One transaction per table, so no transaction holds thousands of locks.
    MANY_SQL = """do $$
declare
  words text[] := regexp_split_to_array('the of and to in is for that on with as customer order account payment invoice
    delivery shipping product price discount refund return support ticket issue request report team project release
    version update change status review approved pending closed open error warning failed success user email phone
    address city country street number date week month year note meeting call schedule plan budget cost total amount
    item quantity stock warehouse supplier contract agreement service quality feedback survey rating comment', '\s+');
  t text;
begin
  for i in 1..{tables} loop
    t := format('t%s', lpad(i::text, 4, '0'));
    execute format('create table %I (id bigint primary key, code text not null, parent_id bigint not null,'
                   ' created_at timestamptz not null, title text not null, body text)', t);
    execute format('insert into %I select g, md5(%L || g), 1 + floor(random() * {rows})::bigint,'
                   ' timestamptz ''2024-01-01'' + random() * interval ''2 years'','
                   ' (select string_agg(w[1 + floor(random() * cardinality(w))::int + 0 * k], '' '') from generate_series(1, 3 + g %% 5) k),'
                   ' (select string_agg(w[1 + floor(random() * cardinality(w))::int + 0 * k], '' '') from generate_series(1, 5 + g %% 30) k)'
                   ' from generate_series(1, {rows}) g, (select %L::text[] as w) d', t, t, words);
    execute format('create unique index on %I (code)', t);
    execute format('create index on %I (parent_id)', t);
    execute format('create index on %I (created_at)', t);
    if i > 1 then
      execute format('alter table %I add foreign key (parent_id) references %I (id)', t, format('t%s', lpad((i - 1)::text, 4, '0')));
    end if;
    commit;
  end loop;
end $$;
vacuum analyze;
"""

    def many_fingerprint(self, db: str) -> list[str]:
        """Per table of the many-tables database, its row count and row hash, in one query; then
        its numbers of indexes and foreign keys."""
        tables = [f"t{i:04d}" for i in range(1, self.s.many_tables + 1)]
        # On stdin: the query is longer than one argument may be.
        done = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", "-"], text=True,
                              stdout=subprocess.PIPE,
                              input=" union all ".join(f"select '{t}', count(*), coalesce(sum(hashtext(x::text)::bigint), 0)"
                                                       f" from {t} x" for t in tables) + ";\n")
        if done.returncode:
            die(f"cannot read the tables of {db}")
        rows = done.stdout.splitlines()
        shape = query("select (select count(*) from pg_indexes where schemaname = 'public') || ' indexes, '"
                      " || (select count(*) from pg_constraint where contype = 'f') || ' foreign keys'", db)
        return sorted(rows) + [shape]

    def many_tables(self) -> None:
        """s. Many small tables: pg_restore -j2 of a directory dump against dpm restore from a file:
        store, in alternating rounds; then the S3 requests of a dpm upload into an empty moto
        bucket and of a dpm restore from it with an empty download cache, counted by the proxy."""
        n, db = self.s.many_tables, self.MANY_DB
        log(f"==> many tables: generating {n} tables of {self.MANY_ROWS} rows in database {db}")
        self.databases += [db, "bench_many_r"]
        run(["createdb", db])
        started = time.perf_counter()
        if subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", "-"], text=True,
                          input=self.MANY_SQL.format(tables=n, rows=self.MANY_ROWS)).returncode:
            die("generating the many-tables database failed")
        size = int(query(f"select pg_database_size('{db}')"))
        self.r.add(Step("many_gen", f"s. generate {n} tables (psql, wall)", round(time.perf_counter() - started, 2),
                        bytes=size, wall_seconds=time.perf_counter() - started))
        expected = self.many_fingerprint(db)
        log(f"    {expected[-1]}, pg_database_size = {size // 1048576} MiB")
        folder = self.work / "many.dir"
        self.measure("many_dump_dir", f"s. pg_dump -Fd -Z0 -j2, {n} tables", ["pg_dump", "-Fd", "-Z0", "-j2", "-f", folder, db])
        self.r.steps["many_dump_dir"].bytes = dir_bytes(folder)
        project, store = self.work / "many-project", self.work / "many-store"
        project.mkdir()
        run(["git", "init", "-q"], cwd=project)
        self.dpm_quiet("init", "--database", f"dbname={db}", "--store", f"file:{store}", cwd=project)
        self.dpm_quiet("profile", "create", "many", "--kind", "shared", "--description", "many tables", cwd=project)
        up = self.measure_dpm("many_upload", f"s. dpm upload, {n} tables", ["upload", "many", "-m", "many tables", "--json",
                                                                              *self.s.jobs], cwd=project)
        up.bytes = dir_bytes(store)

        def check(what: str) -> None:
            if self.many_fingerprint("bench_many_r") != expected:
                die(f"{what} of the many-tables database does not hold the same tables, rows, indexes and foreign keys")
            log(f"    bench_many_r verified: same rows, {expected[-1]}")

        rounds = range(1, self.s.rounds + 1)
        os.sync()  # the first round does not pay for the generation's, dump's and upload's writeback
        for k in rounds:
            for what in ("pg", "dpm") if k % 2 else ("dpm", "pg"):
                if what == "pg":
                    run(["createdb", "bench_many_r"])
                    self.measure(f"many_pg_restore_{k}", f"s. pg_restore -j2, {n} tables #{k}",
                                 ["pg_restore", "-j2", "-d", "bench_many_r", folder])
                else:
                    self.measure_dpm(f"many_dpm_restore_{k}", f"s. dpm restore, {n} tables #{k}",
                                     ["restore", "many", "--into", "bench_many_r", "--json", *self.s.jobs], cwd=project)
                if k == 1:
                    check("pg_restore" if what == "pg" else "dpm restore")
                self.drop_settled("bench_many_r")
        shutil.rmtree(folder)
        shutil.rmtree(store)
        self.r.add_median("many_pg_restore", f"s. pg_restore -j2, {n} tables, median",
                          [f"many_pg_restore_{k}" for k in rounds], row=True)
        self.r.add_median("many_dpm_restore", f"s. dpm restore, {n} tables, median",
                          [f"many_dpm_restore_{k}" for k in rounds], row=True)

        self.s3_environment()
        endpoint = self.moto.fresh()
        proxy = CountingProxy(endpoint, "/dpm-bench/many/")
        env = {"AWS_ENDPOINT_URL_S3": proxy.endpoint, "DPM_STORE": "s3://dpm-bench/many"}
        try:
            self.measure_dpm("many_s3_upload", f"s. dpm upload to moto, {n} tables",
                             ["upload", "many", "-m", "many tables", "--json", *self.s.jobs], cwd=project,
                             env={**env, "XDG_CACHE_HOME": str(self.work / "many-cache-up")})
            upload = proxy.take()
            log(f"    {upload.summary()}")
            self.measure_dpm("many_s3_restore", f"s. dpm restore from moto, {n} tables",
                             ["restore", "many", "--into", "bench_many_r", "--json", *self.s.jobs], cwd=project,
                             env={**env, "XDG_CACHE_HOME": str(self.work / "many-cache-down")})
            restore = proxy.take()
            log(f"    {restore.summary()}")
        finally:
            proxy.close()
            self.moto.stop()
        check("dpm restore from moto")
        run(["dropdb", "bench_many_r"])
        run(["dropdb", db])
        self.r.many = {"tables": n, "rows_per_table": self.MANY_ROWS, "shape": expected[-1],
                       "indexes_per_table": "4: the primary key's and 3 more (unique code, parent_id, created_at)",
                       "foreign_keys": "one per table but the first, to the previous table's primary key",
                       "upload_requests": upload.as_json(), "restore_requests": restore.as_json()}

    def run_all(self) -> None:
        if self.dpm:
            done = subprocess.run([self.dpm, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            self.versions["dpm"] = done.stdout.strip() if done.returncode == 0 else "(version unknown)"
        self.versions["postgresql"] = query("show server_version")
        self.versions["pg_dump"] = run(["pg_dump", "--version"]).strip()
        if self.s.gc_only:
            return self.gc_scale()
        if self.s.only:  # DPM_BENCH_ONLY: the dataset only for the steps that use it
            if self.s.only & {"m", "r"}:
                self.dataset()
            if "m" in self.s.only:
                self.sanitize()
            if "r" in self.s.only:
                self.refresh()
            if "s" in self.s.only and self.s.many_tables:
                self.many_tables()
            return
        self.dataset()
        self.baseline()
        if not self.s.baseline_only:
            self.dpm_uploads()
        self.restores()
        if self.s.s3:
            self.s3()
            self.versions["aws"] = run(["aws", "--version"]).strip()
        if not self.s.baseline_only and self.s.switch:
            self.switch_all()
        if not self.s.baseline_only and self.s.sanitize:
            self.sanitize()
            self.from_dump()
        if not self.s.baseline_only and self.s.encrypt:
            self.encryption()
        if not self.s.baseline_only and self.s.verify:
            self.verify_read()
        if not self.s.baseline_only and self.s.gc:
            self.gc_scale()
        if not self.s.baseline_only and self.s.refresh:
            self.refresh()
        if not self.s.baseline_only and self.s.many_tables:
            self.many_tables()

    def drop_databases(self) -> None:
        """Drops every database the benchmark may have made, and those dpm made beside a working
        database (<db>__tpl_..., __spare_..., __stash_..., __dpm_...)."""
        if subprocess.run(["pg_isready", "-q", "-t", "2"]).returncode:
            return
        # A refill still cloning in the background would make a spare after the drops: wait
        # for it (a foreground refill takes its lock), dropping spares.
        for project in self.switch_projects:
            if project.is_dir() and subprocess.run(
                    ["timeout", "300", self.dpm, "cache", "refill"], cwd=project, env=with_env({"DPM_SPARES": "0"}),
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
                log(f"warning: could not wait for dpm's spare refill in {project}")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        for db in self.databases:
            names = subprocess.run(["psql", "-X", "-At", "-c", f"select datname from pg_database"
                                    f" where starts_with(datname, '{db}__')"], stdout=subprocess.PIPE, text=True,
                                   stderr=subprocess.DEVNULL).stdout.split()
            for name in [*names, db]:
                # Templates cannot be dropped while marked as templates.
                subprocess.run(["psql", "-X", "-q", "-c", f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false'], **quiet)
                if subprocess.run(["dropdb", "--force", "--if-exists", name], **quiet).returncode:
                    log(f"warning: could not drop {name}")


def dir_bytes(path: Path) -> int:
    return int(run(["du", "-sb", path]).split()[0])


def same_bytes(a: Path, b: Path) -> bool:
    return subprocess.run(["cmp", "-s", a, b]).returncode == 0


# --- the report ------------------------------------------------------------------------------

def verdicts(r: Results, s: Settings, switch_sizes: list[int]) -> list[Verdict]:
    if s.baseline_only or s.gc_only:
        return []
    out = []
    for t in TARGETS:
        if t.group == "dataset" and r.has("dpm_upload"):  # not with DPM_BENCH_ONLY
            out.append(Verdict(t, t.name, t.value(r, s.size_mb), s.size_mb))
        elif t.group == "s3" and r.has("s3_dpm_down"):
            out.append(Verdict(t, t.name.format(s3_mb=s.s3_mb), t.value(r, s.s3_mb), s.s3_mb))
    for mb in switch_sizes:
        out += [Verdict(t, t.name.format(mb=mb), t.value(r, mb), mb) for t in TARGETS if t.group == "switch"]
    if r.has("san_rules"):  # as the steps ran
        out += [Verdict(t, t.name, t.value(r, s.size_mb), s.size_mb) for t in TARGETS if t.group == "sanitize"]
    if r.has("enc_re_sealed"):
        out += [Verdict(t, t.name, t.value(r, s.size_mb), s.size_mb) for t in TARGETS if t.group == "encrypt"]
    if "scattered" in r.refresh:
        out += [Verdict(t, t.name, t.value(r, s.size_mb), s.size_mb) for t in TARGETS if t.group == "refresh"]
    if r.many:
        many_mb = round(r.bytes("many_gen") / 1048576)
        out += [Verdict(t, t.name.format(tables=f"{r.many['tables']:,}"), t.value(r, many_mb), many_mb)
                for t in TARGETS if t.group == "many"]
    return out


def gc_lines(r: Results, s: Settings) -> list[str]:
    g = r.gc_store
    lines = [f"store at scale (q), medians over {s.rounds} rounds, a generated store of {g['objects']} objects"
             f" ({g['objects'] - g['garbage']} named by {g['records']} records, {g['garbage']} by none):"]
    for command, (_, title) in Bench.SCALE_COMMANDS.items():
        moto = r.secs(f"scale_{command}_s3")
        verdict = "ok" if moto < SCALE_LIMIT_SECONDS else "MISSED"
        lines.append(f"  {title:28} file: {r.secs(f'scale_{command}_file'):6.2f} s, moto {moto:6.2f} s"
                     f" (target < {SCALE_LIMIT_SECONDS:.0f} s against moto)  {verdict}")
    lines.append(f"  moto alone: aws s3api list-objects-v2 of the {g['objects']} object keys takes"
                 f" {r.secs('scale_list_s3'):.2f} s (pages of 1000, one after another)")
    return lines


def report(r: Results, s: Settings, switch_sizes: list[int], versions: dict, cores: int) -> list[str]:
    """The report's lines, as the figures and targets of one run."""
    if s.gc_only:
        return ["", f"dpm benchmark, store-at-scale step only (DPM_BENCH_SCALE_ONLY=1), {cores} cores", ""] + gc_lines(r, s)
    lines = ["", f"dpm benchmark: dataset {s.size_mb} MB target, {cores} cores, PostgreSQL {versions['postgresql']},"
                 f" fsync={s.fsync} (same for every step)", ""]
    row = "{:<36} {:>9} {:>13} {:>15}"
    lines += [row.format("step", "seconds", "peak RSS MB", "bytes"),
              row.format("----", "-------", "-----------", "-----")]
    for key in r.rows:
        st = r.steps[key]
        rss = "-" if st.rss_mb is None else f"{st.rss_mb:.1f}"
        lines.append(row.format(st.label, f"{st.seconds:.{st.digits}f}", rss, "-" if st.bytes is None else st.bytes))
    lines += ["", "bytes: database size for the dataset, file/folder size for dumps, store size (d)"
                  " and newly stored bytes (e) for dpm"]
    if r.has("enc_re_sealed"):
        lines += ["encryption (o): bytes of the store after each upload, newly stored bytes of the unchanged one"]
    if switch_sizes:
        lines += ["switching (i-l): i is the first use of a profile (a restore); j, k, l are medians"
                  " (with the peak RSS) over",
                  f"{s.switch_rounds} rounds; bytes on j: the working database size;"
                  " l pairs dpm use without a spare with a bare clone"]
    if r.has("dump_fc"):  # not with DPM_BENCH_ONLY
        lines += [f"pg_database_size / pg_dump -Fc size:        {r.bytes('gen') / r.bytes('dump_fc'):.2f}",
                  f"pg_dump -Fd -Z0 size / pg_dump -Fc size:    {r.bytes('dump_dir') / r.bytes('dump_fc'):.2f}"
                  "  (how well the data compresses)"]
    if s.only:
        lines.append(f"only steps {', '.join(sorted(s.only))} (DPM_BENCH_ONLY)")
    lines.append("")
    if s.baseline_only:
        return lines + ["!!! dpm steps NOT RUN (DPM_BENCH_BASELINE_ONLY=1): no dpm ratios"]
    # Lines of figures printed before a target's verdict.
    before = {
        "restore_time": lambda mb: f"restore medians over {s.rounds} rounds:"
                                   f" pg_restore (dir) {r.secs('restore_dir'):.2f} s,"
                                   f" dpm restore {r.secs('dpm_restore'):.2f} s",
        "s3_upload_8": lambda mb: f"S3 upload medians over {s.s3_rounds} rounds: dpm {r.secs('s3_dpm8_up'):.2f} s /"
                                  f" {r.secs('s3_dpm64_up'):.2f} s, aws s3 cp {r.secs('s3_aws8_up'):.2f} s /"
                                  f" {r.secs('s3_aws64_up'):.2f} s (8 / 64 MiB parts)",
        "s3_download": lambda mb: "(each at its default part size, dpm 64 MiB / awscli 8 MiB:"
                                  f" {default_parts_ratio(r):.2f}x; moto completes big parts more slowly)",
        "sanitize_time": lambda mb: sanitize_lines(r, s),
        "refresh_bytes": lambda mb: refresh_lines(r),
        "many_restore": lambda mb: many_lines(r, s),
        "encrypt_upload": lambda mb: f"encryption medians over {s.rounds} rounds: dpm upload plaintext"
                                     f" {r.secs('enc_up_plain'):.2f} s, encrypted {r.secs('enc_up_sealed'):.2f} s;"
                                     f" dpm restore plaintext {r.secs('enc_re_plain'):.2f} s, encrypted"
                                     f" {r.secs('enc_re_sealed'):.2f} s; stored {r.bytes('enc_up_plain')} /"
                                     f" {r.bytes('enc_up_sealed')} bytes",
        "switch_spare": lambda mb: f"switch medians over {s.switch_rounds} rounds, {mb} MB: dpm use (spare)"
                                   f" {r.secs(f'sw_{mb}_spare'):.3f} s, dpm undo {r.secs(f'sw_{mb}_undo'):.3f} s,"
                                   f" dpm use (clone) {r.secs(f'sw_{mb}_clone'):.3f} s, CREATE DATABASE (FILE_COPY)"
                                   f" {r.secs(f'sw_{mb}_create'):.3f} s",
    }
    results = verdicts(r, s, switch_sizes)
    for v in results:
        if v.target.key in before:
            figures_before = before[v.target.key](v.size_mb)
            lines += figures_before if isinstance(figures_before, list) else [figures_before]
        lines.append(v.line())
        if v.target.key == "refresh_download" and "clustered" in r.refresh:
            lines += clustered_lines(r)  # the same figures, without a target
    # Figures without a target.
    if r.has("fd_dpm"):
        lines.append(f"dpm upload --from-dump / (pg_restore + dpm upload), medians over {s.rounds} rounds:"
                     f" {from_dump_ratio(r):.3f} ({r.secs('fd_dpm'):.2f} s / {r.secs('fd_pair'):.2f} s; no target)")
    if r.has("vr_dpm"):
        lines += verify_lines(r, s)
    if r.has("scale_gc_file"):
        lines += gc_lines(r, s)
    lines += r.notes
    missed = sum(not v.met for v in results)
    return lines + ["", f"{missed} of {len(results)} targets missed" if missed else f"all {len(results)} targets met"]


def default_parts_ratio(r: Results) -> float:
    return r.secs("s3_dpm64_up") / nz(r.secs("s3_aws8_up"))


def rules_cpu_seconds(r: Results) -> float:
    """The CPU seconds the rules cost an upload: median user + system time (dpm and its
    children) of the uploads with rules minus that of the uploads without."""
    return r.steps["san_rules"].cpu_seconds - r.steps["san_plain"].cpu_seconds


def rule_engine_rate(r: Results) -> float | None:
    """Rows per second per core of the rule engine: the rows of the tables with rules
    (customers, orders) over the CPU seconds the rules cost (rules_cpu_seconds). CPU seconds,
    not wall seconds, make it per core whatever dpm runs in parallel; pg_dump, hashing,
    compression and storing cost both uploads the same and cancel out, so what is left is the
    rule engine with what comes with it (parsing and rewriting the COPY lines of the tables
    with rules, the key, the leak check over every stored field). None when the rules cost
    less than a measurable 0.05 s."""
    extra = rules_cpu_seconds(r)
    return None if extra < 0.05 else r.sanitized_rows / extra


def from_dump_ratio(r: Results) -> float:
    return r.secs("fd_dpm") / nz(r.secs("fd_pair"))


def sanitize_lines(r: Results, s: Settings) -> list[str]:
    rate = rule_engine_rate(r)
    engine = ("not measurable (the rules cost under 0.05 CPU s)" if rate is None else
              f"{rate:,.0f} rows/s per core ({r.sanitized_rows} rows of {', '.join(SANITIZED_TABLES)}"
              f" / {rules_cpu_seconds(r):.2f} CPU s more than without rules)")
    streamed = (f"; with rules and a 64 MB TMPDIR (streamed, three reads) {r.secs('san_streamed'):.2f} s,"
                f" {r.secs('san_streamed') / nz(r.secs('san_plain')):.2f}x without rules" if r.has("san_streamed") else "")
    return [f"sanitize medians over {s.rounds} rounds: dpm upload without rules {r.secs('san_plain'):.2f} s,"
            f" with rules {r.secs('san_rules'):.2f} s; CPU {r.steps['san_plain'].cpu_seconds:.2f} s /"
            f" {r.steps['san_rules'].cpu_seconds:.2f} s{streamed}",
            f"rule engine: {engine}"]


def verify_rates(r: Results) -> dict[str, float]:
    """MB/s (stored bytes over the median wall seconds) of each verify step (p)."""
    return {what: r.verify_stored / 1e6 / nz(r.secs(f"vr_{what}")) for what in ("dpm", "dpm1", "zstdt", "zsha")}


def refresh_line(r: Results, variant: str) -> str:
    f = r.refresh[variant]
    warm = f["warm_restore_requests"]
    return (f"  {variant}: the second upload stored {f['second_stored']} bytes ({f['new_bytes_pct']:.2f}% of the first"
            f" upload's {f['first_stored']}; objects/ grew {f['objects_growth']}, {f['objects_growth_pct']:.2f}%);"
            f" the restore with the first snapshot cached downloaded {f['downloaded']} data bytes in"
            f" {warm['data']} data requests ({f['downloaded_pct']:.2f}% of the snapshot's {f['refreshed_snapshot_stored']}"
            f" stored bytes; the cache grew {f['cache_growth']})")


def refresh_lines(r: Results) -> list[str]:
    f = r.refresh["scattered"]
    return [f"refresh (r), {f['table']} of {f['rows']} rows: {f['updated']} rows updated, {f['inserted']} inserted"
            " (1% each), uploaded again; restores from moto through the counting proxy",
            refresh_line(r, "scattered")]


def clustered_lines(r: Results) -> list[str]:
    f = r.refresh["clustered"]
    return [refresh_line(r, "clustered"),
            f"  clustered (the updated rows in 20 contiguous id ranges): new bytes {f['new_bytes_pct']:.2f}%,"
            f" restore download {f['downloaded_pct']:.2f}% (no target; the issue's targets are for scattered rows)"]


def many_lines(r: Results, s: Settings) -> list[str]:
    m = r.many
    up, down = m["upload_requests"], m["restore_requests"]

    def requests(t: dict) -> str:
        data = ", ".join(f"{k} {v}" for k, v in t["data_by_method"].items()) or "none"
        meta = ", ".join(f"{k} {v}" for k, v in t["metadata_by_method"].items()) or "none"
        return f"{t['total']} in all, {t['data']} data ({data}), {t['metadata']} metadata ({meta})"

    return [f"many tables (s): {m['tables']} tables of {m['rows_per_table']} rows ({m['shape']}; per table"
            f" {m['indexes_per_table']}; foreign keys {m['foreign_keys']}); restore medians over {s.rounds} rounds:"
            f" pg_restore -j2 {r.secs('many_pg_restore'):.2f} s, dpm restore {r.secs('many_dpm_restore'):.2f} s",
            f"  S3 requests, dpm upload into an empty bucket: {requests(up)}",
            f"  S3 requests, dpm restore with an empty cache: {requests(down)}"]


def verify_lines(r: Results, s: Settings) -> list[str]:
    rate = verify_rates(r)
    jobs = s.jobs[1] if s.jobs else "cores"
    return [f"verify --read-data (p), medians over {s.rounds} rounds, {r.verify_objects} objects,"
            f" {r.verify_stored} bytes stored, page cache warm: dpm verify (-j {jobs}) {rate['dpm']:.1f} MB/s,"
            f" -j 1 {rate['dpm1']:.1f} MB/s; zstd -t {rate['zstdt']:.1f} MB/s, zstd -dc | sha256sum {rate['zsha']:.1f} MB/s",
            f"dpm verify / zstd -t: {rate['dpm'] / rate['zstdt']:.2f} (-j {jobs}), {rate['dpm1'] / rate['zstdt']:.2f} (-j 1);"
            f" dpm verify -j 1 / (zstd -dc | sha256sum): {rate['dpm1'] / rate['zsha']:.2f} (no target)"]


def figures(r: Results, s: Settings, switch_sizes: list[int], versions: dict, cores: int) -> dict:
    """Every figure of a run, for --json."""
    def step(st: Step) -> dict:
        out = {"label": st.label, "seconds": st.seconds, "wall_seconds": st.wall_seconds, "peak_rss_mb": st.rss_mb,
               "cpu_seconds": st.cpu_seconds, "bytes": st.bytes, "in_report": st.key in r.rows}
        if st.rounds:
            out["median_of"] = st.rounds
            out["round_seconds"] = [round(r.steps[k].wall_seconds, 3) if st.digits == 3 else r.steps[k].seconds
                                    for k in st.rounds]
        if st.output is not None:
            out["dpm_output"] = st.output
        return out
    results = verdicts(r, s, switch_sizes)
    ratios = {} if not r.has("dump_fc") else {
        "pg_database_size / pg_dump -Fc size": r.bytes("gen") / r.bytes("dump_fc"),
        "pg_dump -Fd -Z0 size / pg_dump -Fc size": r.bytes("dump_dir") / r.bytes("dump_fc")}
    if r.has("s3_dpm_down"):
        ratios["S3 upload, each at its default part size: dpm 64 MiB / awscli 8 MiB"] = default_parts_ratio(r)
    if r.has("fd_dpm"):
        ratios["dpm upload --from-dump / (pg_restore + dpm upload), medians"] = from_dump_ratio(r)
    sanitize = None
    if r.has("san_rules"):
        sanitize = {"tables": list(SANITIZED_TABLES), "rows": r.sanitized_rows,
                    "extra_cpu_seconds": round(rules_cpu_seconds(r), 2),
                    "rule_engine_rows_per_second_per_core": rule_engine_rate(r)}
    verify = None
    if r.has("vr_dpm"):
        rate = verify_rates(r)
        verify = {"objects": r.verify_objects, "stored_bytes": r.verify_stored,
                  "mb_per_second": {"dpm_verify": rate["dpm"], "dpm_verify_j1": rate["dpm1"], "zstd_t": rate["zstdt"],
                                    "zstd_dc_sha256sum": rate["zsha"]},
                  "dpm_verify / zstd -t": rate["dpm"] / rate["zstdt"],
                  "dpm_verify -j 1 / zstd -t": rate["dpm1"] / rate["zstdt"],
                  "dpm_verify -j 1 / (zstd -dc | sha256sum)": rate["dpm1"] / rate["zsha"]}
    return {
        "parameters": {
            "size_mb": s.size_mb, "rounds": s.rounds, "s3_mb": s.s3_mb, "s3_rounds": s.s3_rounds,
            "switch": s.switch, "switch_rounds": s.switch_rounds, "switch_sizes_mb": switch_sizes,
            "sanitize": s.sanitize, "encrypt": s.encrypt, "verify": s.verify, "gc": s.gc,
            "refresh": s.refresh, "many_tables": s.many_tables, "only": sorted(s.only),
            "jobs": s.jobs[1] if s.jobs else None, "baseline_only": s.baseline_only, "strict": s.strict,
            "fsync": s.fsync, "cores": cores, "dpm_bin": s.dpm_bin,
            "versions": {**versions, "python": platform.python_version()},
        },
        "steps": {key: step(st) for key, st in r.steps.items()},
        "ratios": ratios,
        "targets": [{"key": v.target.key, "name": v.name, "measures": v.target.measures, "size_mb": v.size_mb,
                     "applies_at": v.target.applies_at, "value": v.value, "op": v.target.op, "limit": v.target.limit,
                     "unit": v.target.unit.strip(), "met": v.met} for v in results],
        "targets_missed": sum(not v.met for v in results),
        "sanitize": sanitize,
        "verify": verify,
        "scale": {**r.gc_store, "median_seconds": {
            **{f"{command}_{where}": r.secs(f"scale_{command}_{key}") for command in Bench.SCALE_COMMANDS
               for where, key in (("file", "file"), ("moto", "s3"))},
            "aws_list_moto": r.secs("scale_list_s3")}} if r.has("scale_gc_file") else None,
        "refresh": r.refresh or None,
        "many_tables": r.many or None,
        "notes": r.notes,
    }


# --- main ------------------------------------------------------------------------------------

def main(args: list[str]) -> int:
    if args == ["--self-test"]:
        return self_test()
    try:
        if args[:1] == ["--check-args"]:  # shell/bench.sh, before it starts anything
            Settings.parse(args[1:], os.environ)
            return 0
        settings = Settings.parse(args, os.environ)
        # Databases are made and dropped: only in the throw-away cluster shell/bench.sh starts.
        cluster = os.environ.get("DPM_PG_DIR")
        in_cluster = bool(cluster) and os.environ.get("PGHOST", "").startswith(cluster)
        if not in_cluster or not (settings.dpm_bin or settings.baseline_only):
            die("run the benchmark with shell/bench.sh, which starts the PostgreSQL cluster and finds dpm")
    except Abort as error:
        log(f"error: {error}")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="dpm-bench.", dir=os.environ.get("TMPDIR") or "/tmp"))
    # Keep dpm's download cache inside the benchmark folder: a fresh cache for every run, and
    # nothing left behind in the user's home.
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")
    bench = Bench(settings, work)
    try:
        bench.run_all()
    except Abort as error:
        log(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        bench.moto.stop()
        bench.drop_databases()
        shutil.rmtree(work, ignore_errors=True)
    cores = len(os.sched_getaffinity(0))
    print("\n".join(report(bench.r, settings, bench.switch_sizes, bench.versions, cores)))
    if settings.json_path:
        with open(settings.json_path, "w") as out:
            json.dump(figures(bench.r, settings, bench.switch_sizes, bench.versions, cores), out, indent=2)
            out.write("\n")
        log(f"==> figures written to {settings.json_path}")
    missed = sum(not v.met for v in verdicts(bench.r, settings, bench.switch_sizes))
    return 1 if missed and settings.strict else 0


# --- self-test: the parts that need no services ---------------------------------------------

def self_test() -> int:
    import io
    import unittest

    def sample() -> tuple[Results, Settings]:
        s = Settings.parse(["20"], {"DPM_BENCH_ROUNDS": "3", "DPM_BENCH_SWITCH_ROUNDS": "2", "DPM_BENCH_S3_MB": "2",
                                    "DPM_BIN": "/bin/dpm"})
        r = Results()
        r.add(Step("gen", "generate dataset (psql, wall time)", 12.5, bytes=40 << 20))
        r.add(Step("dump_fc", "a. pg_dump -Fc", 3.0, rss_mb=9.5, bytes=10 << 20))
        r.add(Step("dump_dir", "c. pg_dump -Fd -Z0 -j2", 2.0, rss_mb=9.5, bytes=30 << 20))
        r.add(Step("dpm_upload", "d. dpm upload", 0.9, rss_mb=60.0, bytes=9 << 20, output={"snapshot": "x"}))
        r.add(Step("dpm_reupload", "e. dpm upload (unchanged)", 0.5, rss_mb=40.0, bytes=1000))
        for n, (a, b) in enumerate([(1.0, 1.1), (1.2, 1.5), (0.9, 1.0)], 1):
            r.add(Step(f"restore_dir_{n}", f"c. pg_restore #{n}", a, rss_mb=9.0))
            r.add(Step(f"dpm_restore_{n}", f"f. dpm restore #{n}", b, rss_mb=50.0 + n))
        r.add_median("restore_dir", "c. median", [f"restore_dir_{n}" for n in (1, 2, 3)])
        r.add_median("dpm_restore", "f. median", [f"dpm_restore_{n}" for n in (1, 2, 3)])
        for key, secs in (("s3_dpm8_up", 1.0), ("s3_dpm64_up", 1.1), ("s3_aws8_up", 1.0), ("s3_aws64_up", 0.5),
                          ("s3_dpm_down", 0.4), ("s3_aws_down", 0.5)):
            r.add(Step(key, key, secs, rss_mb=55.0), row=False)
        for mb in (100, 20):
            for what, walls in (("spare", [0.05, 0.04]), ("undo", [0.02, 0.5]), ("clone", [1.0, 1.0]), ("create", [1.0, 0.9])):
                for n, wall in enumerate(walls, 1):
                    r.add(Step(f"sw_{mb}_{what}_{n}", f"{what} #{n}", round(wall, 2), rss_mb=30.0, wall_seconds=wall), row=False)
                label = "j. dpm use (spare) 100 MB, median" if (mb, what) == (100, "spare") else f"{what} median"
                r.add_median(f"sw_{mb}_{what}", label, [f"sw_{mb}_{what}_{n}" for n in (1, 2)], by_wall=True, row=True)
            r.steps[f"sw_{mb}_spare"].bytes = 40 << 20
        # Sanitize rounds: medians 2.0 s / 2.6 s wall, 3.0 / 4.0 CPU s; 50 000 rows with rules.
        for n, (plain, rules) in enumerate([((2.0, 3.0), (2.6, 4.0)), ((2.2, 3.2), (3.0, 4.4)), ((1.9, 2.9), (2.5, 3.9))], 1):
            r.add(Step(f"san_plain_{n}", f"m. plain #{n}", plain[0], rss_mb=60.0, cpu_seconds=plain[1]))
            r.add(Step(f"san_rules_{n}", f"m. rules #{n}", rules[0], rss_mb=70.0 + n, cpu_seconds=rules[1]))
        r.add_median("san_plain", "m. plain, median", [f"san_plain_{n}" for n in (1, 2, 3)], row=True)
        r.add_median("san_rules", "m. rules, median", [f"san_rules_{n}" for n in (1, 2, 3)], row=True)
        r.sanitized_rows = 50_000
        for n, (direct, pair) in enumerate([(1.0, 4.0), (1.2, 4.4), (0.8, 3.6)], 1):
            r.add(Step(f"fd_dpm_{n}", f"n. from dump #{n}", direct, rss_mb=50.0))
            r.add(Step(f"fd_pair_{n}", f"n. pair #{n}", pair, rss_mb=50.0), row=False)
        r.add_median("fd_dpm", "n. from dump, median", [f"fd_dpm_{n}" for n in (1, 2, 3)], row=True)
        r.add_median("fd_pair", "n. pair, median", [f"fd_pair_{n}" for n in (1, 2, 3)], row=True)
        # Encryption rounds: upload medians 2.0 s / 2.1 s, restore medians 1.0 s / 1.05 s.
        for n, (plain, sealed) in enumerate([(2.0, 2.1), (2.2, 2.3), (1.9, 2.0)], 1):
            r.add(Step(f"enc_up_plain_{n}", f"o. up plain #{n}", plain, rss_mb=60.0, bytes=9 << 20))
            r.add(Step(f"enc_up_sealed_{n}", f"o. up sealed #{n}", sealed, rss_mb=62.0 + n, bytes=(9 << 20) + 4096))
        r.add(Step("enc_reupload", "o. reupload", 1.0, rss_mb=45.0, bytes=2000))
        # Verify rounds: 40 MB stored; medians 0.400 s (dpm), 0.800 s (-j 1), 0.250 s (zstd -t), 0.500 s (with sha256sum).
        r.verify_objects, r.verify_stored = 12, 40_000_000
        for what, walls in (("dpm", [0.4, 0.5, 0.3]), ("dpm1", [0.8, 0.9, 0.7]), ("zstdt", [0.25, 0.3, 0.2]), ("zsha", [0.5, 0.6, 0.4])):
            for n, wall in enumerate(walls, 1):
                r.add(Step(f"vr_{what}_{n}", f"p. {what} #{n}", round(wall, 2), rss_mb=20.0, wall_seconds=wall), row=False)
            r.add_median(f"vr_{what}", f"p. {what}, median", [f"vr_{what}_{n}" for n in (1, 2, 3)], by_wall=True, row=True)
        for n, (plain, sealed) in enumerate([(1.0, 1.05), (1.2, 1.3), (0.9, 1.0)], 1):
            r.add(Step(f"enc_re_plain_{n}", f"o. re plain #{n}", plain, rss_mb=50.0))
            r.add(Step(f"enc_re_sealed_{n}", f"o. re sealed #{n}", sealed, rss_mb=52.0))
        for what in ("plain", "sealed"):
            r.add_median(f"enc_up_{what}", f"o. up {what}, median", [f"enc_up_{what}_{n}" for n in (1, 2, 3)], row=True)
            r.steps[f"enc_up_{what}"].bytes = r.steps[f"enc_up_{what}_3"].bytes
            r.add_median(f"enc_re_{what}", f"o. re {what}, median", [f"enc_re_{what}_{n}" for n in (1, 2, 3)], row=True)
        return r, s

    def without(r: Results, *prefixes: str) -> None:
        """Drops the steps of skipped sections, as a run without them would lack them."""
        for key in [k for k in r.steps if k.startswith(prefixes)]:
            del r.steps[key]
        r.rows = [k for k in r.rows if k in r.steps]

    class HarnessTests(unittest.TestCase):
        def test_median_takes_the_lower_middle(self):
            self.assertEqual(median([3.0, 1.0, 2.0]), 2.0)
            self.assertEqual(median([4.0, 1.0, 3.0, 2.0]), 2.0)
            self.assertEqual(median([0.5]), 0.5)

        def test_verdicts_at_the_limits(self):
            by_key = {t.key: t for t in TARGETS}
            self.assertTrue(Verdict(by_key["upload_time"], "", 3.0, 20).met)
            self.assertFalse(Verdict(by_key["upload_time"], "", 2.9999, 20).met)
            self.assertTrue(Verdict(by_key["restore_time"], "", 1.0, 20).met)
            self.assertTrue(Verdict(by_key["restore_time"], "", 1.0 + 1e-9, 20).met)  # six decimals, like the report
            self.assertFalse(Verdict(by_key["upload_floor"], "", 1.51, 20).met)
            self.assertFalse(Verdict(by_key["switch_undo"], "", 0.3, 20).met)

        def test_ratio_lines_read_as_before(self):
            by_key = {t.key: t for t in TARGETS}
            self.assertEqual(Verdict(by_key["reupload_bytes"], by_key["reupload_bytes"].name, 0.01234, 20).line(),
                             "re-upload new bytes, % of first upload                0.012%  (target < 1%)  ok")
            self.assertEqual(Verdict(by_key["switch_undo"], "dpm undo, 100 MB (median)", 0.4123, 100).line(),
                             "dpm undo, 100 MB (median)                             0.412 s (target < 0.3 s)  MISSED")
            self.assertEqual(Verdict(by_key["upload_time"], by_key["upload_time"].name, 3.5, 20).line(),
                             "pg_dump -Fc time / dpm upload time                    3.500   (target >= 3)  ok")

        def test_targets_table_holds_every_target_of_the_old_script(self):
            self.assertEqual([(t.name, t.op, t.limit, t.unit) for t in TARGETS], [
                ("pg_dump -Fc time / dpm upload time", ">=", 3, ""),
                ("dpm upload time / pg_dump -Fd -Z0 -j2 time", "<=", 1.5, ""),
                ("dpm store size / pg_dump -Fc size", "<=", 0.95, ""),
                ("re-upload new bytes, % of first upload", "<", 1, "%"),
                ("dpm restore time / pg_restore (dir) time (medians)", "<=", 1.0, ""),
                ("dpm peak RSS (upload, restore)", "<", 150, " MB"),
                ("S3 upload, 8 MiB parts: dpm time / aws s3 cp time (medians)", "<=", 1.2, ""),
                ("S3 upload, 64 MiB parts: dpm time / aws s3 cp time (medians)", "<=", 1.2, ""),
                ("S3 download: dpm time / aws s3 cp time", "<=", 1.2, ""),
                ("dpm peak RSS moving the {s3_mb} MB file through S3", "<", 150, " MB"),
                ("dpm use, spare rename, {mb} MB (median)", "<", 0.3, " s"),
                ("dpm undo, {mb} MB (median)", "<", 0.3, " s"),
                ("dpm use clone / CREATE DATABASE, {mb} MB (medians)", "<=", 1.2, ""),
                ("dpm upload with rules / without (medians)", "<=", 1.5, ""),
                ("dpm peak RSS, upload with rules", "<", 150, " MB"),
                ("dpm upload encrypted / plaintext (medians)", "<=", 1.10, ""),
                ("dpm restore encrypted / plaintext (medians)", "<=", 1.10, ""),
                ("encrypted re-upload new bytes, % of first upload", "<", 1, "%"),
                ("dpm peak RSS, encrypted upload and restore", "<", 150, " MB"),
                ("refresh, scattered: new bytes, % of first upload", "<", 5, "%"),
                ("refresh, scattered: restore download, % of snapshot", "<", 5, "%"),
                ("dpm restore / pg_restore -j2, {tables} tables (medians)", "<=", 1.1, ""),
                ("S3 data requests, dpm upload of {tables} tables", "<=", 50, ""),
                ("S3 data requests, dpm restore of {tables} tables", "<=", 50, ""),
            ])
            self.assertEqual(len({t.key for t in TARGETS}), len(TARGETS))
            self.assertEqual(SANITIZED_RULES, 4)
            self.assertTrue(all(t.op in OPS and t.group in ("dataset", "s3", "switch", "sanitize", "encrypt", "refresh", "many") and t.measures
                                and t.applies_at for t in TARGETS))

        def test_encryption_targets_and_report(self):
            r, s = sample()
            by_key = {v.target.key: v for v in verdicts(r, s, [100, 20])}
            self.assertAlmostEqual(by_key["encrypt_upload"].value, 2.1 / 2.0)
            self.assertAlmostEqual(by_key["encrypt_restore"].value, 1.05 / 1.0)
            self.assertAlmostEqual(by_key["encrypt_reupload"].value, 100 * 2000 / ((9 << 20) + 4096))
            self.assertEqual(by_key["encrypt_rss"].value, 65.0)
            self.assertTrue(all(by_key[k].met for k in ("encrypt_upload", "encrypt_restore", "encrypt_reupload", "encrypt_rss")))
            self.assertFalse(Verdict(by_key["encrypt_upload"].target, "", 1.1001, 20).met)
            self.assertTrue(Verdict(by_key["encrypt_restore"].target, "", 1.10, 20).met)
            lines = report(r, s, [100, 20], {"postgresql": "16.4"}, 2)
            self.assertIn("encryption medians over 3 rounds: dpm upload plaintext 2.00 s, encrypted 2.10 s;"
                          " dpm restore plaintext 1.00 s, encrypted 1.05 s; stored 9437184 / 9441280 bytes", lines)
            self.assertIn("dpm upload encrypted / plaintext (medians)            1.050   (target <= 1.1)  ok", lines)
            self.assertIn("encryption (o): bytes of the store after each upload, newly stored bytes of the unchanged one", lines)
            # DPM_BENCH_ENCRYPT=0: no step, no verdict.
            self.assertEqual((Settings.parse(["20"], {}).encrypt, Settings.parse(["20"], {"DPM_BENCH_ENCRYPT": "0"}).encrypt),
                             (True, False))
            without(r, "enc_")
            self.assertFalse(any(v.target.group == "encrypt" for v in verdicts(r, s, [100, 20])))
            self.assertFalse(any("encrypt" in line for line in report(r, s, [100, 20], {"postgresql": "16.4"}, 2)))

        def test_sanitize_targets_and_the_rule_engine_rate(self):
            r, s = sample()
            by_name = {v.target.key: v for v in verdicts(r, s, [100, 20])}
            self.assertAlmostEqual(by_name["sanitize_time"].value, 2.6 / 2.0)
            self.assertTrue(by_name["sanitize_time"].met)
            self.assertFalse(Verdict(by_name["sanitize_time"].target, "", 1.5001, 20).met)
            self.assertEqual((by_name["sanitize_rss"].value, by_name["sanitize_rss"].met), (73.0, True))
            # 50 000 rows over 4.0 - 3.0 extra CPU seconds (medians).
            self.assertAlmostEqual(rule_engine_rate(r), 50_000.0)
            r.steps["san_rules"].cpu_seconds = 3.04
            self.assertIsNone(rule_engine_rate(r))
            self.assertIn("rule engine: not measurable (the rules cost under 0.05 CPU s)", sanitize_lines(r, s))

        def test_report_shows_sanitize_and_from_dump(self):
            r, s = sample()
            without(r, "enc_", "vr_")
            lines = report(r, s, [100, 20], {"postgresql": "16.4"}, 2)
            self.assertIn("sanitize medians over 3 rounds: dpm upload without rules 2.00 s, with rules 2.60 s;"
                          " CPU 3.00 s / 4.00 s", lines)
            self.assertIn("rule engine: 50,000 rows/s per core (50000 rows of public.customers,"
                          " public.orders / 1.00 CPU s more than without rules)", lines)
            self.assertEqual(lines[-5:-1], [
                "dpm upload with rules / without (medians)             1.300   (target <= 1.5)  ok",
                "dpm peak RSS, upload with rules                      73.000 MB (target < 150 MB)  ok",
                "dpm upload --from-dump / (pg_restore + dpm upload), medians over 3 rounds:"
                " 0.250 (1.00 s / 4.00 s; no target)", ""])
            # Without the sanitize steps (DPM_BENCH_SANITIZE=0, or a dpm without --from-dump): no
            # sanitize verdicts, and the reason a step was skipped.
            without(r, "san_", "fd_")
            r.notes.append("n. dpm upload --from-dump: not timed, `dpm upload --help` lists no --from-dump")
            lines = report(r, s, [100, 20], {"postgresql": "16.4"}, 2)
            self.assertFalse(any("rules" in line or "--from-dump /" in line for line in lines))
            self.assertEqual(lines[-3:], ["n. dpm upload --from-dump: not timed, `dpm upload --help` lists no --from-dump",
                                          "", "2 of 16 targets missed"])
            self.assertIsNone(figures(r, s, [100, 20], {"postgresql": "16"}, 2)["sanitize"])

        def test_report_counts_and_verdicts(self):
            r, s = sample()
            lines = report(r, s, [100, 20], {"postgresql": "16.4"}, 2)
            self.assertIn("dpm benchmark: dataset 20 MB target, 2 cores, PostgreSQL 16.4, fsync=off (same for every step)", lines)
            self.assertIn("restore medians over 3 rounds: pg_restore (dir) 1.00 s, dpm restore 1.10 s", lines)
            self.assertIn("switch medians over 2 rounds, 100 MB: dpm use (spare) 0.040 s, dpm undo 0.020 s,"
                          " dpm use (clone) 1.000 s, CREATE DATABASE (FILE_COPY) 0.900 s", lines)
            self.assertIn("(each at its default part size, dpm 64 MiB / awscli 8 MiB: 1.10x; moto completes big parts more slowly)",
                          lines)
            self.assertIn("j. dpm use (spare) 100 MB, median        0.040          30.0        41943040", lines)
            self.assertIn("generate dataset (psql, wall time)       12.50             -        41943040", lines)
            # 6 dataset + 4 S3 + 3 per switching size + 2 sanitize + 4 encryption; missed: the restore
            # (1.1 over 1.0), the S3 64 MiB upload (2.2) and nothing else.
            results = verdicts(r, s, [100, 20])
            self.assertEqual([v.name for v in results if not v.met],
                             ["dpm restore time / pg_restore (dir) time (medians)",
                              "S3 upload, 64 MiB parts: dpm time / aws s3 cp time (medians)"])
            self.assertEqual(lines[-2:], ["", "2 of 22 targets missed"])

        def test_baseline_only_has_no_ratios(self):
            r, _ = sample()
            s = Settings.parse(["20"], {"DPM_BENCH_BASELINE_ONLY": "1", "DPM_BIN": "/bin/dpm"})
            self.assertIsNone(s.dpm_bin)
            self.assertEqual(verdicts(r, s, []), [])
            self.assertEqual(report(r, s, [], {"postgresql": "16"}, 2)[-1],
                             "!!! dpm steps NOT RUN (DPM_BENCH_BASELINE_ONLY=1): no dpm ratios")

        def test_json_holds_every_figure(self):
            r, s = sample()
            doc = json.loads(json.dumps(figures(r, s, [100, 20], {"dpm": "0.1.0", "postgresql": "16"}, 2)))
            self.assertEqual(set(doc), {"parameters", "steps", "ratios", "targets", "targets_missed", "sanitize", "verify", "scale", "refresh",
                                         "many_tables", "notes"})
            p = doc["parameters"]
            self.assertEqual((p["size_mb"], p["rounds"], p["switch_rounds"], p["s3_mb"], p["dpm_bin"], p["versions"]["dpm"]),
                             (20, 3, 2, 2, "/bin/dpm", "0.1.0"))
            self.assertEqual(set(doc["steps"]), set(r.steps))
            restore = doc["steps"]["dpm_restore"]
            self.assertEqual((restore["seconds"], restore["round_seconds"], restore["peak_rss_mb"]), (1.1, [1.1, 1.5, 1.0], 53.0))
            self.assertEqual(doc["steps"]["sw_100_undo"]["round_seconds"], [0.02, 0.5])
            self.assertEqual(doc["steps"]["dpm_upload"]["bytes"], 9 << 20)
            self.assertEqual(doc["steps"]["dpm_upload"]["dpm_output"], {"snapshot": "x"})
            self.assertEqual(len(doc["targets"]), 22)
            self.assertEqual(doc["sanitize"], {"tables": ["public.customers", "public.orders"], "rows": 50_000,
                                               "extra_cpu_seconds": 1.0, "rule_engine_rows_per_second_per_core": 50_000.0})
            self.assertEqual(doc["ratios"]["dpm upload --from-dump / (pg_restore + dpm upload), medians"], 0.25)
            self.assertEqual((doc["steps"]["san_rules"]["cpu_seconds"], doc["steps"]["san_rules"]["round_seconds"]),
                             (4.0, [2.6, 3.0, 2.5]))
            self.assertTrue(p["sanitize"] and p["encrypt"])
            self.assertEqual(set(doc["targets"][0]),
                             {"key", "name", "measures", "size_mb", "applies_at", "value", "op", "limit", "unit", "met"})
            self.assertEqual(doc["targets_missed"], sum(not t["met"] for t in doc["targets"]))

        def test_store_at_scale_figures(self):
            r, s = sample()
            r.gc_store = {"objects": 100000, "records": 2000, "garbage": 10000}
            seconds = {"log": (0.5, 12.0), "verify": (3.0, 65.0), "gc": (2.2, 80.0)}
            for command, (file_s, moto_s) in seconds.items():
                r.add(Step(f"scale_{command}_file", "", file_s))
                r.add(Step(f"scale_{command}_s3", "", moto_s))
            r.add(Step("scale_list_s3", "", 31.0))
            lines = report(r, s, [100, 20], {"postgresql": "16.4"}, 2)
            self.assertIn("  dpm log (2,000 records)      file:   0.50 s, moto  12.00 s (target < 30 s against moto)  ok", lines)
            self.assertIn("  dpm gc --dry-run             file:   2.20 s, moto  80.00 s (target < 30 s against moto)  MISSED", lines)
            self.assertIn("  moto alone: aws s3api list-objects-v2 of the 100000 object keys takes 31.00 s"
                          " (pages of 1000, one after another)", lines)
            doc = figures(r, s, [100, 20], {"postgresql": "16"}, 2)
            self.assertEqual(doc["scale"]["median_seconds"]["verify_moto"], 65.0)
            self.assertEqual(doc["scale"]["median_seconds"]["aws_list_moto"], 31.0)
            self.assertEqual((Settings.parse(["20"], {}).gc, Settings.parse(["20"], {"DPM_BENCH_SCALE": "0"}).gc), (True, False))

        def test_verify_figures(self):
            r, s = sample()
            lines = report(r, s, [100, 20], {"postgresql": "16.4"}, 2)
            self.assertIn("verify --read-data (p), medians over 3 rounds, 12 objects, 40000000 bytes stored, page cache warm:"
                          " dpm verify (-j cores) 100.0 MB/s, -j 1 50.0 MB/s; zstd -t 160.0 MB/s, zstd -dc | sha256sum 80.0 MB/s",
                          lines)
            self.assertIn("dpm verify / zstd -t: 0.62 (-j cores), 0.31 (-j 1); dpm verify -j 1 / (zstd -dc | sha256sum): 0.62"
                          " (no target)", lines)
            doc = figures(r, s, [100, 20], {"postgresql": "16"}, 2)
            self.assertEqual(doc["verify"]["mb_per_second"],
                             {"dpm_verify": 100.0, "dpm_verify_j1": 50.0, "zstd_t": 160.0, "zstd_dc_sha256sum": 80.0})
            self.assertAlmostEqual(doc["verify"]["dpm_verify -j 1 / (zstd -dc | sha256sum)"], 0.625)
            self.assertEqual(doc["steps"]["vr_dpm"]["round_seconds"], [0.4, 0.5, 0.3])
            self.assertEqual((Settings.parse(["20"], {}).verify, Settings.parse(["20"], {"DPM_BENCH_VERIFY": "0"}).verify), (True, False))
            without(r, "vr_")
            self.assertFalse(any("verify" in line for line in report(r, s, [100, 20], {"postgresql": "16.4"}, 2)))
            self.assertIsNone(figures(r, s, [100, 20], {"postgresql": "16"}, 2)["verify"])

        def test_request_kinds_and_tally(self):
            store = "/dpm-bench/many/"
            self.assertEqual(request_kind("/dpm-bench/many/objects/ab/abcd", store), "data")
            self.assertEqual(request_kind("/dpm-bench/many/objects/ab/abcd?uploadId=7&partNumber=2", store), "data")
            self.assertEqual(request_kind("/dpm-bench/many/packs/00/0011", store), "data")  # whatever holds bytes
            for target in ("/dpm-bench/many/snapshots/many/20261203T000000Z-abc.json", "/dpm-bench/many/dpm-store.json",
                           "/dpm-bench/many/uploads/x.json", "/dpm-bench/many/gc/y.json", "/dpm-bench/many/tags/many/t.json",
                           "/dpm-bench?list-type=2&prefix=many%2Fobjects%2F", "/dpm-bench/other/objects/ab/abcd"):
                self.assertEqual(request_kind(target, store), "metadata", target)
            t = RequestTally()
            t.add("PUT", "data", 100, 0)
            t.add("PUT", "data", 50, 0)
            t.add("GET", "metadata", 0, 7)
            t.add("POST", "data", 10, 300)
            self.assertEqual((t.count(), t.count("data"), t.count("metadata")), (4, 3, 1))
            self.assertEqual(t.by_method(), {"GET": 1, "POST": 1, "PUT": 2})
            self.assertEqual(t.summary(), "4 requests: 3 data (POST 1, PUT 2), 1 metadata; 300 data bytes received, 160 sent")
            self.assertEqual(t.as_json()["bytes_received"], {"data": 300, "metadata": 7})

        def test_counting_proxy_forwards_and_counts(self):
            import http.server
            import threading
            import urllib.request

            class Upstream(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"

                def log_message(self, *args) -> None:
                    pass

                def do_PUT(self) -> None:
                    body = self.rfile.read(int(self.headers["Content-Length"]))
                    reply = f"{self.headers['Host']} {len(body)}".encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)

                def do_GET(self) -> None:
                    self.send_response(200)
                    self.send_header("Content-Length", "5000")
                    self.end_headers()
                    self.wfile.write(b"x" * 5000)

            upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
            threading.Thread(target=upstream.serve_forever, daemon=True).start()
            proxy = CountingProxy(f"http://127.0.0.1:{upstream.server_address[1]}", "/b/p/")
            try:
                put = urllib.request.Request(f"{proxy.endpoint}/b/p/objects/aa/aa1", data=b"y" * 3000, method="PUT")
                with urllib.request.urlopen(put) as answer:
                    # The Host header reaches the upstream as dpm sent it (it is signed).
                    self.assertEqual(answer.read().decode(), f"{proxy.endpoint[len('http://'):]} 3000")
                with urllib.request.urlopen(f"{proxy.endpoint}/b/p/snapshots/x/1.json") as answer:
                    self.assertEqual(len(answer.read()), 5000)
                with urllib.request.urlopen(f"{proxy.endpoint}/b/p/objects/aa/aa1") as answer:
                    answer.read()
                t = proxy.take()
                self.assertEqual((t.requests, t.sent, t.received),
                                 ({"data": {"PUT": 1, "GET": 1}, "metadata": {"GET": 1}}, {"data": 3000, "metadata": 0},
                                  {"data": len(f"{proxy.endpoint[len('http://'):]} 3000") + 5000, "metadata": 5000}))
                self.assertEqual(proxy.take().count(), 0)
            finally:
                proxy.close()
                upstream.shutdown()
                upstream.server_close()

        def test_refresh_and_many_tables_targets_and_report(self):
            r, s = sample()
            tally = lambda data, meta: {"total": data + meta, "data": data, "metadata": meta,
                                        "data_by_method": {"PUT": data}, "metadata_by_method": {"GET": meta}}
            for variant, (second, down) in (("scattered", (30_000, 40_000)), ("clustered", (5_000, 4_000))):
                r.refresh[variant] = {"table": "public.documents", "rows": 1000, "updated": 10, "inserted": 10,
                                      "first_stored": 1_000_000, "second_stored": second, "objects_growth": second + 100,
                                      "new_bytes_pct": 100 * second / 1_000_000,
                                      "objects_growth_pct": 100 * (second + 100) / 1_000_000,
                                      "refreshed_snapshot_stored": 1_000_000, "downloaded": down,
                                      "downloaded_pct": 100 * down / 1_000_000, "cache_growth": down,
                                      "warm_restore_requests": tally(3, 2)}
            r.add(Step("many_gen", "s. generate", 10.0, bytes=200 << 20))
            for k, (pg, dpm) in enumerate([(8.0, 12.0), (9.0, 13.0), (8.5, 14.0)], 1):
                r.add(Step(f"many_pg_restore_{k}", f"pg #{k}", pg, rss_mb=10.0), row=False)
                r.add(Step(f"many_dpm_restore_{k}", f"dpm #{k}", dpm, rss_mb=50.0), row=False)
            r.add_median("many_pg_restore", "s. pg median", [f"many_pg_restore_{k}" for k in (1, 2, 3)], row=True)
            r.add_median("many_dpm_restore", "s. dpm median", [f"many_dpm_restore_{k}" for k in (1, 2, 3)], row=True)
            r.many = {"tables": 1200, "rows_per_table": 300, "shape": "4800 indexes, 1199 foreign keys",
                      "indexes_per_table": "4", "foreign_keys": "to the previous table",
                      "upload_requests": tally(1203, 4), "restore_requests": tally(40, 3)}
            by_key = {v.target.key: v for v in verdicts(r, s, [100, 20])}
            self.assertAlmostEqual(by_key["refresh_bytes"].value, 3.0)
            self.assertAlmostEqual(by_key["refresh_download"].value, 4.0)
            self.assertTrue(by_key["refresh_bytes"].met and by_key["refresh_download"].met)
            self.assertAlmostEqual(by_key["many_restore"].value, 13.0 / 8.5)
            self.assertEqual((by_key["many_s3_upload"].value, by_key["many_s3_upload"].met), (1203, False))
            self.assertEqual((by_key["many_s3_restore"].value, by_key["many_s3_restore"].met), (40, True))
            self.assertEqual((by_key["many_restore"].name, by_key["many_restore"].size_mb),
                             ("dpm restore / pg_restore -j2, 1,200 tables (medians)", 200))
            self.assertFalse(Verdict(by_key["refresh_bytes"].target, "", 5.0, 20).met)
            self.assertTrue(Verdict(by_key["many_s3_restore"].target, "", 50, 20).met)
            lines = report(r, s, [100, 20], {"postgresql": "16.4"}, 2)
            self.assertIn("  scattered: the second upload stored 30000 bytes (3.00% of the first upload's 1000000; objects/"
                          " grew 30100, 3.01%); the restore with the first snapshot cached downloaded 40000 data bytes in"
                          " 3 data requests (4.00% of the snapshot's 1000000 stored bytes; the cache grew 40000)", lines)
            self.assertIn("  clustered (the updated rows in 20 contiguous id ranges): new bytes 0.50%, restore download 0.40%"
                          " (no target; the issue's targets are for scattered rows)", lines)
            self.assertIn("  S3 requests, dpm upload into an empty bucket: 1207 in all, 1203 data (PUT 1203), 4 metadata (GET 4)",
                          lines)
            self.assertIn("S3 data requests, dpm upload of 1,200 tables       1203.000   (target <= 50)  MISSED", lines)
            self.assertEqual(lines[-2:], ["", "4 of 27 targets missed"])
            doc = json.loads(json.dumps(figures(r, s, [100, 20], {"postgresql": "16"}, 2)))
            self.assertEqual(doc["many_tables"]["upload_requests"]["data"], 1203)
            self.assertEqual(doc["refresh"]["clustered"]["downloaded"], 4000)
            # Skipped (DPM_BENCH_REFRESH=0, DPM_BENCH_MANY_TABLES=0): no verdicts, no lines.
            r.refresh, r.many = {}, {}
            self.assertFalse(any(v.target.group in ("refresh", "many") for v in verdicts(r, s, [100, 20])))
            self.assertFalse(any("refresh" in line or "S3 requests" in line
                                 for line in report(r, s, [100, 20], {"postgresql": "16.4"}, 2)))

        def test_only_runs_the_new_steps(self):
            s = Settings.parse(["20"], {"DPM_BENCH_ONLY": "r, s", "DPM_BIN": "/bin/dpm"})
            self.assertEqual(s.only, frozenset({"r", "s"}))
            self.assertEqual((Settings.parse(["20"], {}).refresh, Settings.parse(["20"], {"DPM_BENCH_REFRESH": "0"}).refresh),
                             (True, False))
            self.assertEqual([Settings.parse(["20"], env).many_tables for env in
                              ({}, {"DPM_BENCH_MANY_TABLES": "0"}, {"DPM_BENCH_MANY_TABLES": "50"})], [1200, 0, 50])
            for env in ({"DPM_BENCH_ONLY": "q"}, {"DPM_BENCH_MANY_TABLES": "-1"}, {"DPM_BENCH_MANY_TABLES": "x"}, {"DPM_BENCH_MANY_TABLES": "10000"},
                        {"DPM_BENCH_ONLY": "r", "DPM_BENCH_BASELINE_ONLY": "1"}):
                with self.assertRaises(Abort):
                    Settings.parse(["20"], env)
            # Only the many-tables step ran: no dataset figures, no dataset verdicts.
            r = Results()
            r.add(Step("many_gen", "s. generate", 10.0, bytes=200 << 20))
            self.assertEqual(verdicts(r, s, []), [])
            lines = report(r, s, [], {"postgresql": "16.4"}, 2)
            self.assertIn("only steps r, s (DPM_BENCH_ONLY)", lines)
            self.assertEqual(figures(r, s, [], {"postgresql": "16"}, 2)["ratios"], {})

        def test_time_report(self):
            text = ("\tCommand being timed: \"pg_dump\"\n\tUser time (seconds): 10.52\n\tSystem time (seconds): 1.31\n"
                    "\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02.504\n"
                    "\tMaximum resident set size (kbytes): 153600\n")
            self.assertEqual(parse_time_report(text), (62.5, 150.0, 11.83))
            self.assertEqual(parse_time_report("Elapsed (wall clock) time (h:mm:ss or m:ss): 1:00:01\n")[0], 3601.0)

        def test_arguments_and_environment(self):
            self.assertEqual(Settings.parse([], {}).size_mb, 1024)
            s = Settings.parse(["50", "--json", "out.json"], {"DPM_BENCH_CALLER_DIR": "/tmp", "DPM_BENCH_JOBS": "4"})
            self.assertEqual((s.size_mb, s.json_path, s.jobs, s.rounds, s.s3_mb, s.s3_rounds, s.switch_rounds),
                             (50, "/tmp/out.json", ["--jobs", "4"], 3, 500, 5, 5))
            for bad_args, bad_env in ((["19"], {}), (["x"], {}), (["--json"], {}), (["20", "30"], {}),
                                      (["20"], {"DPM_BENCH_ROUNDS": "0"}), (["20"], {"DPM_BENCH_SWITCH_ROUNDS": "x"}),
                                      (["20"], {"DPM_BENCH_S3_ROUNDS": "0"})):
                with self.assertRaises(Abort):
                    Settings.parse(bad_args, bad_env)
            self.assertEqual((Settings.parse(["20"], {}).sanitize, Settings.parse(["20"], {"DPM_BENCH_SANITIZE": "0"}).sanitize),
                             (True, False))
            # The S3 rounds are not read when the S3 steps are off.
            self.assertEqual(Settings.parse(["20"], {"DPM_BENCH_S3_MB": "0", "DPM_BENCH_S3_ROUNDS": "0"}).s3, False)

    stream = io.StringIO()
    outcome = unittest.TextTestRunner(stream=stream, verbosity=0).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(HarnessTests))
    if not outcome.wasSuccessful():
        sys.stderr.write(stream.getvalue())
        return 1
    log(f"bench.py self-test: {outcome.testsRun} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
