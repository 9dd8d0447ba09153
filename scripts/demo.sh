#!/usr/bin/env bash
# The main job on a fresh machine: installs dependencies, builds lateral, then
# indexes the multilingual sample corpus shipped in docs/sample-corpus (1,642
# Wikipedia sentences in 11 languages) into a scratch collection and answers
# questions in several languages, then measures retrieval quality on the
# sample's 330 questions with `lateral eval`.
#
# Without a model this is BM25 search (each question finds answers in its own
# language). Set LATERAL_COLBERT to an LFM2-ColBERT checkpoint -- a directory,
# or a hub id such as LiquidAI/LFM2-ColBERT-350M after `lateral pull` -- and
# the same run uses hybrid BM25 + ColBERT search, which also finds answers
# across languages.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${LATERAL_BUILD_DIR:-$root/build}"
bash "$root/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" --target lateral
lateral="$build/cli/lateral"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
model_flag=()
if [ -n "${LATERAL_COLBERT:-}" ]; then model_flag=(--model "$LATERAL_COLBERT"); fi

cd "$work"
echo "== lateral init ${model_flag[*]}"
"$lateral" init "${model_flag[@]}"
echo
echo "== lateral add (the sample corpus: docs/sample-corpus/corpus.jsonl)"
"$lateral" add "$root/docs/sample-corpus/corpus.jsonl" --id-field _id --metadata-fields lang
echo
"$lateral" info
for query in \
    "Wie viele Punkte gab die Verteidigung der Panthers ab?" \
    "黑豹队的防守丢了多少分？" \
    "Сколько очков уступила защита Пэнтерс?" \
    "How many points did the Panthers defense surrender?" \
    "¿Cuántos puntos dejaron escapar en defensa los Panthers?"; do
  echo
  echo "== lateral search -k 3 \"$query\""
  "$lateral" search -k 3 "$query"
done
echo
echo "== lateral eval docs/sample-corpus ${model_flag[*]}"
"$lateral" eval "$root/docs/sample-corpus" "${model_flag[@]}"
