#!/usr/bin/env bash
# The main job on a fresh machine: installs dependencies, builds lateral, then
# runs it on the checkpoints shipped with the project (tests/data): ColBERT
# encoding of a multilingual query and documents with MaxSim scores, and text
# generation. Point LATERAL_COLBERT / LATERAL_LM at real hub downloads (e.g.
# LiquidAI/LFM2-ColBERT-350M, LiquidAI/LFM2-350M) to run them instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LATERAL_BUILD_DIR:-$root/build}"
bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target lateral
lateral="$build/cli/lateral"
colbert="${LATERAL_COLBERT:-$root/tests/data/colbert-tiny}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
lm="${LATERAL_LM:-}"
if [ -z "$lm" ]; then
  # The tiny random-weight LM ships without a tokenizer; pair it with the
  # fixture tokenizer (its ids fit the model's vocabulary) in a scratch directory.
  lm="$out/lfm2-tiny"
  mkdir -p "$lm"
  for f in "$root"/tests/data/lfm2-tiny/*.json "$root"/tests/data/lfm2-tiny/model.safetensors \
           "$root"/tests/data/colbert-tiny/tokenizer*.json; do
    ln -s "$f" "$lm/"
  done
fi

echo "== ColBERT encoding with $colbert"
"$lateral" score --model "$colbert" --query "Wie funktioniert späte Interaktion?" \
  "Late interaction compares every query token with every document token." \
  "La interacción tardía compara cada token de la consulta con cada token del documento." \
  "晚期交互模型为每个词元生成一个向量。"
echo
echo "== Generation with ${LATERAL_LM:-tests/data/lfm2-tiny (random weights: expect gibberish)}"
"$lateral" generate --model "$lm" --max-tokens 16 --greedy --stats "What is late interaction?"
