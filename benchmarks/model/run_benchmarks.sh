#!/usr/bin/env bash
# Regenerates the random checkpoints and runs every model benchmark the way
# benchmarks/RESULTS.md reports them: one JSON file per group under $OUT.
#
#   benchmarks/model/run_benchmarks.sh [group...]   groups: reference colbert 350m 1.2b accuracy
#
# Environment: BUILD (default build-bench), CKPT (default /tmp/lateral-bench,
# ~3.6 GB of checkpoints: keep it out of the repository), REPS (default 3),
# PRECISIONS (default "f32 bf16 int8"; q4 is accepted too: each model group runs
# once per precision, results in $OUT/<group>-<precision>.json), THREADS (default "2,1").
# `accuracy` compares each non-f32 precision with the f32 path: hidden-state
# cosines and greedy tokens (350M), ColBERT vectors and MaxSim top 10 on the
# sample corpus (docs/sample-corpus; run from the repository root), and what
# rounding the weights alone to 8- and 4-bit formats costs (WeightFormats).
set -euo pipefail

BUILD=${BUILD:-build-bench}
CKPT=${CKPT:-/tmp/lateral-bench}
REPS=${REPS:-3}
PRECISIONS=${PRECISIONS:-f32 bf16 int8}
THREADS=${THREADS:-2,1}
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
      for p in $PRECISIONS; do
        run "colbert-$p" --colbert_model="$(checkpoint lfm2-colbert-350m)" --repetitions="$REPS" \
          --precision="$p" --threads="$THREADS" --encode_batches=64 --benchmark_filter='^Encode/'
      done ;;
    350m|1.2b)
      shape=lfm2-$group
      for p in $PRECISIONS; do
        run "$group-$p" --causal_model="$(checkpoint "$shape")" --repetitions="$REPS" \
          --precision="$p" --threads="$THREADS" --benchmark_filter='^(Bandwidth|Load|Prefill|Decode|DecodeSampled)/'
      done ;;
    accuracy)
      run weight-formats --colbert_model="$(checkpoint lfm2-colbert-350m)" --documents=4 --document_tokens=256 \
        --benchmark_filter='^WeightFormats/'
      for p in $PRECISIONS; do
        [[ $p == f32 ]] && continue
        run "accuracy-$p" --causal_model="$(checkpoint lfm2-350m)" --colbert_model="$(checkpoint lfm2-colbert-350m)" \
          --precision="$p" --documents=4 --document_tokens=256 --decode_steps=64 \
          --retrieval_documents=200 --retrieval_queries=20 --benchmark_filter='^(Accuracy|Retrieval)/'
      done ;;
    *) echo "unknown group $group" >&2; exit 2 ;;
  esac
done
