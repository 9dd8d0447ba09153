#!/usr/bin/env bash
# Regenerates the random checkpoints and runs every model benchmark the way
# benchmarks/RESULTS.md reports them: one JSON file per group under $OUT.
#
#   benchmarks/model/run_benchmarks.sh [group...]   groups: reference colbert 350m 1.2b
#
# Environment: BUILD (default build-bench), CKPT (default /tmp/lateral-bench,
# ~3.6 GB of checkpoints: keep it out of the repository), REPS (default 3).
set -euo pipefail

BUILD=${BUILD:-build-bench}
CKPT=${CKPT:-/tmp/lateral-bench}
REPS=${REPS:-3}
OUT=${OUT:-$CKPT/results}
BIN=$BUILD/benchmarks/model
groups=("$@")
[[ ${#groups[@]} -eq 0 ]] && groups=(reference colbert 350m 1.2b)
mkdir -p "$OUT"

checkpoint() {  # shape -> directory, made once
  local dir=$CKPT/$1
  [[ -f $dir/model.safetensors ]] || "$BIN/make_random_checkpoint" --shape "$1" --out "$dir" --seed 1 --verify >&2
  echo "$dir"
}

run() {  # name, model_bench arguments...
  local name=$1
  shift
  echo "== $name ($(date -u +%H:%M:%S), load: $(cut -d' ' -f1-3 /proc/loadavg))"
  "$BIN/model_bench" "$@" --benchmark_out="$OUT/$name.json" --benchmark_out_format=json
}

for group in "${groups[@]}"; do
  case $group in
    reference)
      run reference --benchmark_filter='^BM_' --benchmark_repetitions="$REPS" \
        --benchmark_display_aggregates_only=true ;;
    colbert)
      run colbert --colbert_model="$(checkpoint lfm2-colbert-350m)" --repetitions="$REPS" \
        --benchmark_filter='^Encode/' ;;
    350m)
      run 350m --causal_model="$(checkpoint lfm2-350m)" --repetitions="$REPS" \
        --benchmark_filter='^(Load|Prefill|Decode)/' ;;
    1.2b)
      run 1.2b --causal_model="$(checkpoint lfm2-1.2b)" --repetitions="$REPS" \
        --benchmark_filter='^(Load|Prefill|Decode)/' ;;
    *) echo "unknown group $group" >&2; exit 2 ;;
  esac
done
