#!/usr/bin/env python3
"""Compares two transcripts of the end-to-end tests (DPM_TEST_TRANSCRIPT=FOLDER shell/test.sh),
so that a refactor can show it changed no word a user sees.

  python3 shell/transcript_diff.py OLD_FOLDER NEW_FOLDER

What differs between any two runs (snapshot ids, timings, process ids, random hex names,
temporary folders) is replaced by placeholders first. Exits 1 when a transcript differs."""
import difflib
import os
import re
import sys

VARYING = [
    (re.compile(r"/tmp/dpm-test-tmp\.\w+/"), "/tmp/"),
    (re.compile(r"/tmp/dpm-pg\.\w+/sock(/\.s\.PGSQL\.\d+)?( -p \d+| port \d+)?"), "<SOCKET>"),
    (re.compile(r"%2Ftmp%2Fdpm-pg\.\w+%2Fsock&port=\d+"), "<SOCKET>"),
    (re.compile(r"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"), "<UUID>"),
    (re.compile(r"\"(seconds|bytesRead|bytesStored|storedSize|bytes|size|ageSeconds)\" : [0-9.e+-]+"), r'"\1" : <N>'),
    (re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}"), "<SNAPSHOT>"),
    (re.compile(r"\d{8}T\d{6}(_\d+)?"), "<STASH>"),
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<TIME>"),
    (re.compile(r"\b\d+(\.\d+)? ?(s|ms|seconds?|minutes?|hours?|days?)\b"), "<DURATION>"),
    (re.compile(r"\b(process|pid) \d+"), r"\1 <PID>"),
    (re.compile(r"(dpm-[a-z]+-)\d+-"), r"\1<PID>-"),
    (re.compile(r"(__dpm_[a-z]+_)\d+_"), r"\1<PID>_"),
    (re.compile(r"/\d+-(?=[0-9a-f]{16})"), "/<PID>-"),
    (re.compile(r"(?<![0-9a-zA-Z])[0-9a-f]{6,64}(?![0-9a-zA-Z])"), "<HEX>"),
    (re.compile(r"\b\d+(\.\d+)? ?(B|KB|MB|GB|kB)\b"), "<SIZE>"),
    (re.compile(r"\b\d+(\.\d+)? ?(MB/s|KB/s)\b"), "<RATE>"),
]


def normalized(path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    for pattern, replacement in VARYING:
        text = pattern.sub(replacement, text)
    # Table columns are as wide as their widest (varying) cell.
    return [re.sub(r"[ \t]{2,}", "  ", line) for line in text.splitlines(keepends=True)]


def main(old, new):
    names = sorted(set(os.listdir(old)) | set(os.listdir(new)))
    differing = 0
    for name in names:
        a, b = os.path.join(old, name), os.path.join(new, name)
        if not os.path.exists(a) or not os.path.exists(b):
            print(f"only in {'new' if os.path.exists(b) else 'old'}: {name}")
            differing += 1
            continue
        diff = list(difflib.unified_diff(normalized(a), normalized(b), f"old/{name}", f"new/{name}", n=2))
        if diff:
            differing += 1
            sys.stdout.writelines(diff)
    print(f"{len(names)} transcripts, {differing} differ")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for folder in sys.argv[1:]:
        if not os.path.isdir(folder):
            sys.exit(f"error: {folder} is not a folder of transcripts (DPM_TEST_TRANSCRIPT=FOLDER shell/test.sh makes one).")
    sys.exit(main(sys.argv[1], sys.argv[2]))
