#!/usr/bin/env bash
# llama.cpp reference figures for issue 5, on the same random weights lateral benchmarks with.
#
# Runs on the host as root: bind-mounts the checkpoints and this folder into the Debian sid
# chroot (see README.md), runs llama.cpp there, unmounts on exit. Nothing of llama.cpp
# enters the project; the GGUFs go to $BENCH/gguf.
#
#   run_llama_cpp.sh make            write BF16/F16 GGUFs (make_gguf.py), Q8_0/Q4_0 (llama-quantize)
#   run_llama_cpp.sh check           load and run every file briefly (pp16 / tg4; 4 docs x 256)
#   run_llama_cpp.sh bench [SHAPES]  the timed run; SHAPES from "350m 1.2b colbert" (default all)
#                                    TYPES limits the GGUF types (default "bf16 f16 q8_0 q4_0")
#
# Environment: SID (chroot, default /tmp/sid), BENCH (checkpoint folder, default
# /tmp/lateral-bench), THREADS (2), REPS (3), LOAD_MODES ("mmap,none": llama-bench -lm;
# "none" reads weights into memory; this build's equivalent of older "-mmp 0"),
# EMBD_DOCS (64), EMBD_TOKENS (256, BOS included).
set -euo pipefail

SID=${SID:-/tmp/sid}
BENCH=${BENCH:-/tmp/lateral-bench}
THREADS=${THREADS:-2}
REPS=${REPS:-3}
LOAD_MODES=${LOAD_MODES:-mmap,none}
EMBD_DOCS=${EMBD_DOCS:-64}
EMBD_TOKENS=${EMBD_TOKENS:-256}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TYPES=${TYPES:-"bf16 f16 q8_0 q4_0"}

mode=${1:-}
shift || true
case "$mode" in make|check|bench) ;; *) sed -n '2,17p' "$0"; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "run_llama_cpp.sh: needs root (mount, chroot)" >&2; exit 1; }
[ -x "$SID/usr/bin/llama-bench" ] || { echo "run_llama_cpp.sh: $SID/usr/bin/llama-bench missing (see README.md)" >&2; exit 1; }

# --- mounts (undone on exit) -------------------------------------------------------------
mounted=()
bind() {  # bind SRC DST_IN_CHROOT
  mkdir -p "$SID$2"
  if ! mountpoint -q "$SID$2"; then mount --bind "$1" "$SID$2"; mounted+=("$SID$2"); fi
}
cleanup() { for m in "${mounted[@]}"; do umount "$m" || true; done; }
trap cleanup EXIT
bind "$BENCH" /mnt/bench
bind "$HERE" /mnt/llama_cpp
mountpoint -q "$SID/proc" || { mount -t proc proc "$SID/proc"; mounted+=("$SID/proc"); }
mkdir -p "$BENCH/gguf"
in_sid() { chroot "$SID" env LC_ALL=C.UTF-8 "$@"; }

model_dir() { case $1 in 350m) echo lfm2-350m ;; 1.2b) echo lfm2-1.2b ;; colbert) echo lfm2-colbert-350m ;; esac; }
gguf() { echo "/mnt/bench/gguf/$(model_dir "$1")-$2.gguf"; }

# --- make ----------------------------------------------------------------------------------
if [ "$mode" = make ]; then
  for s in 350m 1.2b colbert; do
    for t in bf16 f16; do
      in_sid python3 /mnt/llama_cpp/make_gguf.py "/mnt/bench/$(model_dir $s)" "$(gguf $s $t)" --outtype $t
    done
    for q in Q8_0 Q4_0; do
      # default llama-quantize recipe (as in issue 5's table): Q4_0 stores the tied
      # token_embd/output matrix as Q6_K; norms and the short-conv kernel stay F32.
      in_sid llama-quantize "$(gguf $s bf16)" "$(gguf $s ${q,,})" $q "$THREADS" \
        > "$BENCH/gguf/quantize-$s-$q.log" 2>&1 || { tail "$BENCH/gguf/quantize-$s-$q.log"; exit 1; }
      echo "wrote $(gguf $s ${q,,}) ($(grep -a -o 'quant size *= *[0-9.]* MiB' "$BENCH/gguf/quantize-$s-$q.log"))"
    done
  done
  exit 0
fi

# --- documents for the encoder rate --------------------------------------------------------
# One document per line: (EMBD_TOKENS-1) one-letter words; with make_gguf.py's synthetic vocab
# "x" and " x" are single tokens, so with the BOS each document is exactly EMBD_TOKENS tokens
# (checked below with llama-tokenize).
make_docs() {  # make_docs N FILE
  python3 - "$1" "$EMBD_TOKENS" "$2" <<'EOF'
import random, sys
n, t, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(5)
letters = "abcdefghijklmnopqrstuvwxyz"
with open(out, "w") as f:
    for _ in range(n):
        f.write(" ".join(rng.choice(letters) for _ in range(t - 1)) + "\n")
EOF
}

# encoder rate: llama-embedding over all documents in one context, one sequence per document,
# pooling none (per-token 128-dim vectors through dense_2). Prints llama's own prompt-eval
# timing (pure compute: load and printing excluded) as tokens/s.
embed_rate() {  # embed_rate GGUF NDOCS LOADMODE
  local docs=$BENCH/gguf/docs-$2x$EMBD_TOKENS.txt ntok=$(( $2 * EMBD_TOKENS ))
  [ -f "$docs" ] || make_docs "$2" "$docs"
  in_sid llama-embedding -m "$1" -f "/mnt/bench/gguf/$(basename "$docs")" -t "$THREADS" \
      --pooling none --embd-normalize -1 --perf -v -lm "$3" \
      -c "$ntok" -b "$ntok" -ub 512 -np "$2" --no-warmup \
      > "$BENCH/gguf/embd.out" 2> "$BENCH/gguf/embd.err" || { tail -20 "$BENCH/gguf/embd.err" >&2; return 1; }
  grep -E 'prompt eval time' "$BENCH/gguf/embd.err" | tail -1 |
    sed -E 's/.*= *([0-9.]+) ms \/ *([0-9]+) tokens.*/\1 \2/' |
    awk -v want=$ntok '{ if ($2 != want) printf "WARN: %d tokens, expected %d; ", $2, want; printf "%.1f", $2 / ($1 / 1000) }'
}

if [ "$mode" = check ]; then
  in_sid llama-bench --version 2>&1 | tail -2
  for s in 350m 1.2b colbert; do
    for t in $TYPES; do
      out=$(in_sid llama-bench -m "$(gguf $s $t)" -p 16 -n 4 -t "$THREADS" -r 1 -lm none 2>&1) ||
        { echo "$s $t: llama-bench FAILED"; echo "$out" | tail -5; continue; }
      echo "$out" | grep -E '^\| lfm2' | sed "s/^/$s $t /"
    done
  done
  # tokenisation check and a 4-document encoder run per type
  docs=$BENCH/gguf/docs-4x$EMBD_TOKENS.txt
  make_docs 4 "$docs"
  n=$(head -1 "$docs" | tr -d "\n" | in_sid llama-tokenize -m "$(gguf colbert bf16)" --stdin --ids --log-disable 2>/dev/null |
      tail -1 | tr -cd ',' | wc -c)
  echo "document 1 tokenises to $((n + 1)) tokens (want $EMBD_TOKENS, BOS included)"
  for t in $TYPES; do echo "colbert $t: 4 docs x $EMBD_TOKENS encoder $(embed_rate "$(gguf colbert $t)" 4 none) tokens/s"; done
  grep -m1 -o 'CPU backend from .*' "$BENCH/gguf/embd.err" || true
  grep -m1 -E 'system_info|CPU : ' "$BENCH/gguf/embd.err" || true
  exit 0
fi

# --- bench ---------------------------------------------------------------------------------
shapes=${*:-350m 1.2b colbert}
echo "llama.cpp $(in_sid llama-bench --version 2>&1 | grep -o 'version.*'); $(date -u +%FT%TZ); $THREADS threads, llama-bench mean ± sd of $REPS runs"
echo
echo "| shape | weights | file size | load | prompt pp512 (tokens/s) | decode tg128 (tokens/s) |"
echo "|---|---|---|---|---|---|"
for s in $shapes; do
  [ "$s" = colbert ] && continue
  for t in $TYPES; do
    # csv columns looked up by header name, so the table survives column reordering
    in_sid llama-bench -m "$(gguf $s $t)" -p 512 -n 128 -t "$THREADS" -r "$REPS" -lm "$LOAD_MODES" -o csv 2>/dev/null |
      python3 -c '
import csv, sys
shape, typ = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(sys.stdin))
by = {}
for r in rows:
    key = r.get("load_mode") or r.get("use_mmap") or "?"
    test = "pp" if int(r["n_prompt"]) > 0 else "tg"
    by.setdefault(key, {})[test] = "%.1f ± %.1f" % (float(r["avg_ts"]), float(r["stddev_ts"]))
    size = int(r["model_size"]) / 2**20
for key, v in by.items():
    print("| %s | %s | %.0f MiB | %s | %s | %s |" % (shape, typ.upper(), size, key, v.get("pp", "-"), v.get("tg", "-")))
' "$s" "$t"
  done
done
if [[ " $shapes " == *" colbert "* ]]; then
  echo
  echo "| shape | weights | encoder ($EMBD_DOCS docs x $EMBD_TOKENS tokens, pooling none), tokens/s, each of $REPS runs |"
  echo "|---|---|---|"
  for t in $TYPES; do
    rates=()
    for _ in $(seq "$REPS"); do rates+=("$(embed_rate "$(gguf colbert $t)" "$EMBD_DOCS" none)"); done
    echo "| LFM2-ColBERT-350M | ${t^^} | ${rates[*]} |"
  done
fi
