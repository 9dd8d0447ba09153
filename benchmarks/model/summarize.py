#!/usr/bin/env python3
"""Prints the medians of model_bench JSON outputs as Markdown tables.

    benchmarks/model/summarize.py /tmp/lateral-bench/results/*.json

One row per benchmark (names carry /precision:f32|bf16|int8|q4|default when
model_bench ran with --precision): the median wall time over repetitions and the median of
each counter (Google Benchmark aggregates counters the same way). Used to fill
benchmarks/RESULTS.md.
"""
import json
import sys

COLUMNS = [
    ("tokens_per_second", "tokens/s", "{:.1f}"),
    ("weight_GBps", "weight GB/s", "{:.2f}"),
    ("weight_MB_per_token", "weight MB/token", "{:.1f}"),
    ("read_GBps", "read GB/s", "{:.2f}"),
    ("GFLOPs", "GFLOP/s", "{:.1f}"),
    ("GBps", "GB/s", "{:.2f}"),
    ("cpu_util", "cores used", "{:.2f}"),
    ("conv_layers_ms", "conv layers ms", "{:.1f}"),
    ("attn_layers_ms", "attn layers ms", "{:.1f}"),
    ("head_ms", "head ms", "{:.1f}"),
    ("projection_ms", "projection ms", "{:.1f}"),
]


def short_name(name):
    for noise in ("/iterations:1", "/min_time:1.000", "/min_time:2.000", "/real_time", "/manual_time"):
        name = name.replace(noise, "")
    return name.split("/repeats:")[0].removesuffix("_median")


def main(paths):
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        rows = [b for b in data["benchmarks"]
                if b.get("aggregate_name") == "median" or b.get("run_type") == "iteration"
                and not any(x.get("run_name") == b.get("run_name") and x.get("aggregate_name")
                            for x in data["benchmarks"])]
        if not rows:
            continue
        used = [c for c in COLUMNS if any(c[0] in r for r in rows)]
        ctx = data["context"]
        print(f"### {path}\n")
        print(f"_{ctx['date']}, load average at start {ctx.get('load_avg')}_\n")
        print("| benchmark | median time | " + " | ".join(c[1] for c in used) + " |")
        print("|---|---:|" + "---:|" * len(used))
        for r in rows:
            unit = r.get("time_unit", "ns")
            cells = [fmt.format(r[key]) if key in r else "" for key, _, fmt in used]
            print(f"| {short_name(r['name'])} | {r['real_time']:.1f} {unit} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
