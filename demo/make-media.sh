#!/usr/bin/env bash
# Writes the media files of the demo application: one file per row of the
# attachments table (path relative to the media folder, size_bytes bytes),
# plus an avatar per user. Content is deterministic, so re-running it
# produces identical files.
#
#   demo/make-media.sh MEDIA_DIR [DBNAME]      (libpq env: PGHOST, PGPORT, ...)
set -euo pipefail

media_dir="${1:?usage: make-media.sh MEDIA_DIR [DBNAME]}"
db="${2:-demo_app}"
mkdir -p "$media_dir"

{
  psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$db" \
    -c "select path, content_type, size_bytes from attachments order by id"
  psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$db" \
    -c "select 'avatars/' || id || '.png', 'image/png', 3000 + id * 97 from users order by id"
} | python3 -c '
import hashlib, os, sys

root = sys.argv[1]
words = b"the quick brown fox reports a slow login page after the last release ".split()
for line in sys.stdin:
    path, ctype, size = line.rstrip("\n").split("\t")
    size = int(size)
    if ctype.startswith("text/") or ctype.endswith("+xml"):
        out, i = bytearray(), 0
        while len(out) < size:
            out += words[(i * 7 + len(path)) % len(words)] + (b"\n" if i % 12 == 11 else b" ")
            i += 1
        data = bytes(out[:size])
    else:
        # Incompressible bytes behind a plausible header, like real images.
        header = b"\x89PNG\r\n\x1a\n" if ctype == "image/png" else b"%PDF-1.7\n"
        out, block = bytearray(header), hashlib.sha256(path.encode()).digest()
        while len(out) < size:
            block = hashlib.sha256(block).digest()
            out += block
        data = bytes(out[:size])
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(data)
' "$media_dir"
