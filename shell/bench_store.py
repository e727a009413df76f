#!/usr/bin/env python3
"""The store at scale: dpm log, dpm verify (without data) and dpm gc --dry-run on a generated
store of OBJECTS objects and RECORDS snapshot records, in a file: store and in moto.

    python3 shell/bench_store.py [--objects N] [--records N] [--json FILE]

Run by shell/bench.sh (step q), which provides a release dpm (DPM_BIN), a PostgreSQL
cluster (PGHOST/PGPORT) and lib.sh's moto_start. One real upload of a small database gives a
record of today's format; the others are copies of it naming generated objects: random bytes
of 0.5-2 KiB, stored under the SHA-256 of their bytes, with the sizes their records give. That
is what log, verify by size and gc read (listings, records, sizes); no object is decompressed,
so --read-data is not run here (step p measures it on real objects).

The records: one profile with half of them (what `dpm log` of a profile shows), ten more with
the rest. Each names its schema and 60 data objects from overlapping windows of the objects,
(its table of contents among them), so that 92% of the objects are named and the rest are garbage for gc.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIB_SH = Path(__file__).resolve().parent / "lib.sh"
LIMIT_SECONDS = 30.0  # the target for each command against moto
DATA_PER_RECORD = 60
NAMED_SHARE = 0.92
PROFILES = ["big"] + [f"c{n:02d}" for n in range(1, 11)]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def die(message: str) -> None:
    log(f"bench_store: {message}")
    sys.exit(1)


def run(argv: list, cwd: Path, env: dict | None = None) -> str:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        die(f"{' '.join(map(str, argv))} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def timed(argv: list, cwd: Path, env: dict) -> tuple[float, float, int, str]:
    """Wall seconds, peak RSS in MB, exit status and stdout of one run under /usr/bin/time."""
    report = tempfile.NamedTemporaryFile(delete=False)
    report.close()
    start = time.monotonic()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *map(str, argv)], cwd=cwd, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - start
    lines = Path(report.name).read_text().split()
    os.unlink(report.name)
    rss = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else 0.0
    if done.returncode not in (0,):
        log(f"q. {' '.join(map(str, argv[1:3]))} exited {done.returncode}: {done.stderr.strip()[-1000:]}")
    return seconds, rss, done.returncode, done.stdout


class Moto:
    """One moto_server held by a bash running lib.sh's moto_start until its stdin closes."""

    HOLD = 'moto_start; printf "%s\\n" "$DPM_TEST_S3_ENDPOINT"; read -r _ || true'

    def __init__(self) -> None:
        self.holder = subprocess.Popen(["bash", "-c", 'set -euo pipefail; . "$0"; eval "$1"', str(LIB_SH), self.HOLD],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.endpoint = self.holder.stdout.readline().strip()
        if not self.endpoint:
            self.stop()
            die("moto_server did not start")

    def stop(self) -> None:
        if self.holder:
            self.holder.stdin.close()
            self.holder.wait(timeout=60)
            self.holder = None


class GeneratedStore:
    """The objects and records, generated once and written into each kind of store."""

    def __init__(self, seed_record: dict, objects: int, records: int) -> None:
        rng = random.Random(20261203)
        self.objects: dict[str, bytes] = {}
        self.ids: list[str] = []
        for _ in range(objects):
            body = rng.randbytes(rng.randint(512, 2048))
            oid = hashlib.sha256(body).hexdigest()
            self.objects[oid] = body
            self.ids.append(oid)
        named = int(objects * NAMED_SHARE)
        stride = max(1, (named - DATA_PER_RECORD) // max(1, records - 1))
        self.records: list[tuple[str, str, bytes]] = []
        half = records // 2
        base = time.time() - 3600
        for n in range(records):
            profile = "big" if n < half else PROFILES[1 + (n - half) % (len(PROFILES) - 1)]
            created = time.gmtime(base - 3600 * n)
            snapshot_id = time.strftime("%Y%m%dT%H%M%SZ", created) + f"-{n:06x}"
            record = json.loads(json.dumps(seed_record))
            record.update(id=snapshot_id, profile=profile, createdAt=time.strftime("%Y-%m-%dT%H:%M:%SZ", created),
                          message=f"generated {n}")
            window = [self.ids[(n * stride + j) % named] for j in range(DATA_PER_RECORD + 1)]
            schema = window[0]
            record["schema"].update(sha256=schema, size=len(self.objects[schema]), storedSize=len(self.objects[schema]))
            toc = window[1]
            record["data"] = [{"path": "toc.dat", "sha256": toc, "size": len(self.objects[toc]), "storedSize": len(self.objects[toc])}]
            record["data"] += [{"path": f"{4000 + j}.dat", "sha256": oid, "size": len(self.objects[oid]),
                                "storedSize": len(self.objects[oid]), "table": f"public.t{j:03d}", "rows": 10}
                               for j, oid in enumerate(window[2:])]
            record["media"] = None
            record["tables"] = DATA_PER_RECORD - 1
            stored = sum(len(self.objects[oid]) for oid in window)
            record["sizes"] = {"total": stored, "stored": stored, "data": stored - len(self.objects[schema]), "media": 0}
            self.records.append((profile, snapshot_id, json.dumps(record, indent=2).encode()))
        self.named = len({oid for _, _, body in self.records for oid in self.named_by(json.loads(body))})

    @staticmethod
    def named_by(record: dict) -> list[str]:
        return [record["schema"]["sha256"]] + [a["sha256"] for a in record["data"]]

    def write_folder(self, root: Path) -> None:
        old = time.time() - 7 * 86400
        for oid, body in self.objects.items():
            path = root / "objects" / oid[:2] / oid
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            os.utime(path, (old, old))
        for profile, snapshot_id, body in self.records:
            path = root / "snapshots" / profile / f"{snapshot_id}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)

    def write_s3(self, endpoint: str, bucket: str, prefix: str) -> None:
        import boto3  # moto's own dependency, there wherever moto_server is
        from botocore.config import Config
        client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=32))
        items = [(f"{prefix}objects/{oid[:2]}/{oid}", body) for oid, body in self.objects.items()]
        items += [(f"{prefix}snapshots/{p}/{i}.json", body) for p, i, body in self.records]
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            for _ in pool.map(lambda kv: client.put_object(Bucket=bucket, Key=kv[0], Body=kv[1]), items):
                pass


def seed_record(dpm: str, work: Path, env: dict) -> tuple[Path, dict]:
    """A project with the profiles and one real record of today's format."""
    project = work / "project"
    project.mkdir()
    database = "bench_store_seed"
    subprocess.run(["dropdb", "--if-exists", database], check=False, stderr=subprocess.DEVNULL)
    run(["createdb", database], work)
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c",
         "create table notes (id int primary key, body text); insert into notes select g, md5(g::text) from generate_series(1, 100) g"],
        work)
    store = work / "seed-store"
    run([dpm, "init", "--database", f"dbname={database}", "--store", f"file:{store}", "--media", "media"], project, env)
    for profile in PROFILES:
        run([dpm, "profile", "create", profile, "--kind", "shared"], project, env)
    run([dpm, "upload", "big", "-m", "seed"], project, env)
    records = list((store / "snapshots" / "big").glob("*.json"))
    if len(records) != 1:
        die("the seed upload left no record")
    record = json.loads(records[0].read_text())
    shutil.rmtree(store)
    subprocess.run(["dropdb", "--if-exists", database], check=False)
    return project, record


def measure(dpm: str, project: Path, env: dict, label: str, generated: GeneratedStore) -> dict:
    figures = {}
    big = sum(1 for p, _, _ in generated.records if p == "big")
    steps = [
        ("log", [dpm, "log", "big", "--json"], f"dpm log big ({big} records)"),
        ("verify", [dpm, "verify", "--all", "--json"], f"dpm verify --all ({len(generated.records)} records, by size)"),
        ("gc_dry_run", [dpm, "gc", "--dry-run", "--json"], "dpm gc --dry-run"),
    ]
    for key, argv, title in steps:
        seconds, rss, status, out = timed(argv, project, env)
        figure = {"seconds": round(seconds, 3), "peak_rss_mb": round(rss, 1), "status": status}
        if key == "verify" and status != 0 and out:
            log(f"q. verify: {json.dumps(json.loads(out).get('unreadable', [])[:2])}")
        if key == "log" and status == 0:
            figure["snapshots"] = len(json.loads(out).get("snapshots", []))
        if key == "gc_dry_run" and status == 0:
            figure["report"] = json.loads(out)
        figures[key] = figure
        verdict = "ok" if status == 0 and seconds < LIMIT_SECONDS else "MISSED"
        print(f"q. {label:6} {title:52} {seconds:7.2f} s  {rss:6.1f} MB  (target < {LIMIT_SECONDS:.0f} s)  {verdict}", flush=True)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=int(os.environ.get("DPM_BENCH_STORE_OBJECTS", "100000")))
    parser.add_argument("--records", type=int, default=int(os.environ.get("DPM_BENCH_STORE_RECORDS", "2000")))
    parser.add_argument("--json", dest="json_file")
    args = parser.parse_args()
    if args.objects < 1000 or args.records < 2:
        die("--objects must be at least 1000 and --records at least 2")
    dpm = os.environ.get("DPM_BIN") or shutil.which("dpm") or die("DPM_BIN is not set")
    work = Path(tempfile.mkdtemp(prefix="dpm-bench-store."))
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_REGION="us-east-1")
    env = {**os.environ, "XDG_CACHE_HOME": str(work / "cache"),
           # Generated objects are minutes old in moto: a short stale window makes the
           # unnamed ones garbage, as they would be after a day.
           "DPM_LEASE_STALE_SECONDS": "10", "DPM_LEASE_REFRESH_SECONDS": "2"}
    moto = None
    try:
        project, record = seed_record(dpm, work, env)
        log(f"q. generating {args.objects} objects and {args.records} records")
        generated = GeneratedStore(record, args.objects, args.records)
        results = {"objects": args.objects, "records": args.records, "named_objects": generated.named}

        folder = work / "store"
        generated.write_folder(folder)
        results["file"] = measure(dpm, project, {**env, "DPM_STORE": f"file:{folder}"}, "file:", generated)
        shutil.rmtree(folder)

        moto = Moto()
        run(["aws", "--endpoint-url", moto.endpoint, "s3", "mb", "s3://dpm-bench"], work, env)
        start = time.monotonic()
        generated.write_s3(moto.endpoint, "dpm-bench", "scale/")
        log(f"q. wrote the store into moto in {time.monotonic() - start:.0f} s")
        time.sleep(11)  # past the stale window above
        s3_env = {**env, "DPM_STORE": "s3://dpm-bench/scale", "AWS_ENDPOINT_URL_S3": moto.endpoint}
        results["moto"] = measure(dpm, project, s3_env, "moto", generated)
        if args.json_file:
            Path(args.json_file).write_text(json.dumps(results, indent=2) + "\n")
        missed = [f"{kind} {key}" for kind in ("moto",) for key, f in results[kind].items()
                  if f["status"] != 0 or f["seconds"] >= LIMIT_SECONDS]
        return 1 if missed and os.environ.get("DPM_BENCH_STRICT") == "1" else 0
    finally:
        if moto:
            moto.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
