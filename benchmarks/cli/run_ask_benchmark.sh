#!/usr/bin/env bash
# `lateral ask` latency (issue 6): time to first token (prefill of the RAG prompt + first sample)
# and decode tokens/s, per --precision, on a BM25 collection of docs/sample-corpus.
# Usage: benchmarks/cli/run_ask_benchmark.sh MODEL_DIR [RUNS] [PRECISIONS]
#   MODEL_DIR   a generative LFM2 checkpoint (directory or hub id in the cache)
#   RUNS        questions asked per precision (default 5; the median is reported)
#   PRECISIONS  comma-separated (default f32,bf16,int8)
# Environment: LATERAL_BIN (default build/cli/lateral), ASK_MAX_TOKENS (default 128), ASK_K (default 5).
# Greedy decoding up to --max-tokens (a stop token ends a run early: the generated-token median is printed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
model="${1:?usage: run_ask_benchmark.sh MODEL_DIR [RUNS] [PRECISIONS]}"
runs="${2:-5}"
precisions="${3:-f32,bf16,int8}"
lateral="${LATERAL_BIN:-$root/build/cli/lateral}"
max_tokens="${ASK_MAX_TOKENS:-128}"
k="${ASK_K:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config"
mkdir -p "$HOME" "$work/corpus"
cp "$root/docs/sample-corpus/corpus.jsonl" "$work/corpus/"
cd "$work/corpus"
"$lateral" init >/dev/null
"$lateral" add corpus.jsonl --metadata-fields lang --quiet
echo "model: $model; $runs questions per precision, k=$k, $max_tokens new tokens, $(nproc) CPUs"
python3 - "$lateral" "$model" "$runs" "$precisions" "$max_tokens" "$k" "$root/docs/sample-corpus/queries.jsonl" <<'PY'
import json, statistics, subprocess, sys
lateral, model, runs, precisions, max_tokens, k, queries = sys.argv[1:]
questions = [json.loads(l)["text"] for l in open(queries, encoding="utf-8") if '"en/' in l][: int(runs)]
for precision in precisions.split(","):
    ttft, rate, prompt, gen, retr = [], [], [], [], []
    for q in questions:
        p = subprocess.run([lateral, "ask", "--generator", model, "--precision", precision, "--greedy", "--json",
                            "--max-tokens", max_tokens, "-k", k, q],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"lateral ask failed ({p.returncode}): {p.stderr.strip()}")
        out = json.loads(p.stdout)
        t = out["timings"]
        ttft.append(t["ttft_s"] * 1000); rate.append(t["decode_tokens_per_s"]); retr.append(t["retrieval_ms"])
        prompt.append(out["prompt_tokens"]); gen.append(out["generated_tokens"])
    print(f"{precision:5s} TTFT median {statistics.median(ttft):8.1f} ms (prompt median {statistics.median(prompt):.0f} "
          f"tokens) | decode median {statistics.median(rate):7.1f} tokens/s ({statistics.median(gen):.0f} tokens) "
          f"| retrieval median {statistics.median(retr):.1f} ms")
PY
