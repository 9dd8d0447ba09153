#!/usr/bin/env bash
# Builds the synthetic 100k- and 1M-document indexes and runs the search
# benchmarks the way benchmarks/RESULTS.md reports them.
#
#   benchmarks/index/run_index_benchmarks.sh [100k] [1m] [model]
#
# Environment: BUILD (default build), DATA (default /tmp/lateral-index-bench:
# the stores, 0.3 GB and 2.5 GB; keep them out of the repository), QUERIES
# (default 300), TRUTH (queries with exhaustive ground truth, default 50).
set -euo pipefail

BUILD=${BUILD:-build}
DATA=${DATA:-/tmp/lateral-index-bench}
QUERIES=${QUERIES:-300}
TRUTH=${TRUTH:-50}
BIN=$BUILD/benchmarks/index
sizes=("$@")
[[ ${#sizes[@]} -eq 0 ]] && sizes=(100k 1m model)
mkdir -p "$DATA"

for size in "${sizes[@]}"; do
  case $size in
    100k) docs=100000 ;;
    1m) docs=1000000 ;;
    model)
      # Vectors from the fixture model (random weights, 16 dims) on the tldr corpus.
      zcat "${CORPORA:-../shared/corpora}/tldr/corpus.jsonl.gz" >"$DATA/tldr-corpus.jsonl"
      zcat "${CORPORA:-../shared/corpora}/tldr/queries.jsonl.gz" | head -n 2000 | tail -n 300 >"$DATA/tldr-queries.jsonl"
      rm -rf "$DATA/tldr-store"
      "$BIN/model_index_bench" --model tests/data/colbert-tiny --corpus "$DATA/tldr-corpus.jsonl" \
        --queries "$DATA/tldr-queries.jsonl" --store "$DATA/tldr-store" --docs 7425 --query-count 300
      continue ;;
    *) echo "unknown size $size (100k, 1m or model)" >&2; exit 2 ;;
  esac
  store=$DATA/synthetic-$size
  echo "== build $size ($(date -u +%H:%M:%S), load: $(cut -d' ' -f1-3 /proc/loadavg))"
  rm -rf "$store"
  "$BIN/index_bench" build --store "$store" --docs $docs
  echo "== search $size ($(date -u +%H:%M:%S), load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$BIN/index_bench" search --store "$store" --docs $docs --queries "$QUERIES" --truth-queries "$TRUTH" \
    --k 10,100,1000 --qps-threads 2
  echo "== search $size with a 1% filter"
  "$BIN/index_bench" search --store "$store" --docs $docs --queries "$QUERIES" --truth-queries "$TRUTH" \
    --k 10,100 --qps-threads 2 --filter "shard = 7"
done
