#!/usr/bin/env bash
# CLI benchmarks (issue 4): ingest throughput of a 100k-passage BM25 collection, and the wall
# time of `lateral search` (process start, opening the store, BM25, printing) over it.
# Usage: benchmarks/cli/run_cli_benchmarks.sh [PASSAGES] [CORPORA_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
n="${1:-100000}"
corpora="${2:-$root/../shared/corpora}"
lateral="${LATERAL_BIN:-$root/build/cli/lateral}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$root/benchmarks/cli/make_passages.py" "$corpora" "$n" "$work/passages.jsonl"
echo "passages: $n, $(du -m "$work/passages.jsonl" | cut -f1) MB of JSON Lines"
cd "$work"
"$lateral" init >/dev/null
/usr/bin/time -f "ingest: %e s wall, %U s user, %S s sys, %P CPU, %M KB peak" \
  "$lateral" add passages.jsonl --metadata-fields lang --quiet
"$lateral" info
# Queries: the first words of 200 passages' texts (the same languages and scripts).
python3 - "$work/passages.jsonl" > queries.txt <<'PY'
import json, sys, random
rng = random.Random(2)
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
for line in rng.sample(lines, 200):
    words = json.loads(line)["text"].split()
    print(" ".join(words[2:6]) if len(words) > 6 else json.loads(line)["text"][5:25])
PY
python3 - "$lateral" queries.txt <<'PY'
import subprocess, sys, time, statistics
lateral, queries = sys.argv[1], open(sys.argv[2], encoding="utf-8").read().splitlines()
for mode_args in (["--json"], []):
    times = []
    for q in queries:
        t = time.perf_counter()
        subprocess.run([lateral, "search", "-k", "10", *mode_args, q], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(f"lateral search {' '.join(mode_args) or '(text)'}: {len(times)} queries, wall ms "
          f"p50 {q(0.5):.1f}  p90 {q(0.9):.1f}  p99 {q(0.99):.1f}  max {times[-1]:.1f}")
times = []
for _ in range(20):
    t = time.perf_counter()
    subprocess.run([lateral, "--help"], stdout=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - t) * 1000)
print(f"lateral --help (process start only): p50 {sorted(times)[10]:.1f} ms")
PY

# The same text as 2,000 files of plain text in 40 folders: the multi-file pipeline
# (both cores), then a search over a collection written by many small batches.
mkdir -p tree && python3 - "$work/passages.jsonl" <<'PY'
import json, sys, os
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
per = max(1, len(lines) // 2000)
for f in range(2000):
    os.makedirs(f"tree/d{f % 40}", exist_ok=True)
    with open(f"tree/d{f % 40}/f{f}.txt", "w", encoding="utf-8") as out:
        for line in lines[f * per:(f + 1) * per]:
            out.write(json.loads(line)["text"] + "\n\n")
PY
mkdir -p many && cd many && "$lateral" init >/dev/null
/usr/bin/time -f "ingest of 2,000 files: %e s wall, %U s user, %S s sys, %P CPU, %M KB peak" \
  "$lateral" add ../tree --quiet
/usr/bin/time -f "re-run, nothing changed: %e s wall" "$lateral" add ../tree --quiet
"$lateral" info | sed -n 2,3p
python3 - "$lateral" ../queries.txt <<'PY'
import subprocess, sys, time
lateral, queries = sys.argv[1], open(sys.argv[2], encoding="utf-8").read().splitlines()
times = []
for q in queries:
    t = time.perf_counter()
    subprocess.run([lateral, "search", "-k", "10", q], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(f"lateral search over the 2,000-file collection: p50 {times[len(times)//2]:.1f}  p90 {times[int(0.9*len(times))]:.1f}  max {times[-1]:.1f} ms")
PY
