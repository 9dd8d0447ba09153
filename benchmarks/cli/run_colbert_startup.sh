#!/usr/bin/env bash
# ColBERT search start-up (issue 4): the wall time of `lateral search --mode colbert` as a new
# process per query, with the mapped index (.lateral/store/lateral-search.index) and with the
# index built from the store (--no-mapped-index), on a collection of N records encoded by MODEL.
# Usage: benchmarks/cli/run_colbert_startup.sh MODEL_DIR [RECORDS] [CORPORA_DIR]
#   e.g. benchmarks/cli/run_colbert_startup.sh tests/data/colbert-tiny 20000
# Environment: LATERAL_BIN (default build/cli/lateral), WORK (a directory to keep the collection in;
# default a temporary one, removed at the end).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="$(cd "$1" && pwd)"
n="${2:-20000}"
corpora="${3:-$root/../shared/corpora}"
lateral="${LATERAL_BIN:-$root/build/cli/lateral}"
if [[ -n "${WORK:-}" ]]; then work="$WORK"; mkdir -p "$work"; else work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT; fi
cd "$work"
if [[ ! -d .lateral ]]; then
  python3 "$root/benchmarks/cli/make_passages.py" "$corpora" "$n" passages.jsonl
  "$lateral" init --model "$model" >/dev/null
  /usr/bin/time -f "ingest: %e s wall, %P CPU, %M KB peak" "$lateral" add passages.jsonl --metadata-fields lang --quiet
fi
"$lateral" info | sed -n 3,7p
python3 - "$lateral" <<'PY'
import subprocess, sys, time, re
lateral = sys.argv[1]
queries = ["the history of the city", "Wie viele Menschen leben dort", "quel est le nom du fleuve",
           "когда была основана", "人口是多少", "what did the report say about taxes"] * 5
for label, extra in (("mapped index", []), ("index from the store (--no-mapped-index)", ["--no-mapped-index"])):
    walls, stages = [], {}
    for q in queries:
        t = time.perf_counter()
        r = subprocess.run([lateral, "search", "--mode", "colbert", "-k", "10", "--explain", *extra, q],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=True)
        walls.append((time.perf_counter() - t) * 1000)
        for m in re.finditer(r"^  (load model|map index|load index|encode query|colbert search)\s+([\d.]+) ms",
                             r.stderr, re.M):
            stages.setdefault(m.group(1), []).append(float(m.group(2)))
    walls.sort()
    med = lambda v: sorted(v)[len(v) // 2]
    print(f"{label}: {len(walls)} searches, wall ms p50 {med(walls):.1f} max {walls[-1]:.1f}; stage medians: " +
          ", ".join(f"{k} {med(v):.1f} ms" for k, v in stages.items()))
PY
