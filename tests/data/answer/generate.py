"""Reference greedy continuation for the `lateral ask` end-to-end test.

Input: prompt.json, written by the program under test as a test-only dump
(`lateral ask --show-prompt --json`, see tests/cli/ask_cli_test.cc): the
rendered prompt's token ids and the stop token ids. The prompt's construction
is checked separately (golden tests in tests/answer/); this pins what the model
computes for it. Output: expected.json with the prompt ids, the stop ids and
the greedy continuation of lfm2-tiny computed by Hugging Face transformers in
float32 from the bf16 weights (as shared/fixtures/generate/make_fixtures.py
does), plus the smallest top-2 logit margin over the steps.

usage: python3 tests/data/answer/generate.py [--out DIR]   (run from the repo root)
"""
import argparse
import json
import os

import torch
import transformers as T
from transformers import AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "lfm2-tiny")
MAX_NEW_TOKENS = 24


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    args = ap.parse_args()
    with open(os.path.join(HERE, "prompt.json")) as f:
        dump = json.load(f)
    prompt_ids = dump["prompt_ids"]
    stop_ids = dump["stop_token_ids"]
    model = AutoModelForCausalLM.from_pretrained(MODEL, dtype=torch.bfloat16).eval()
    model.to(torch.float32)
    ids = torch.tensor([prompt_ids], dtype=torch.long)
    with torch.no_grad():
        gen = model.generate(ids, max_new_tokens=MAX_NEW_TOKENS, do_sample=False, use_cache=True,
                             repetition_penalty=1.0, output_logits=True, return_dict_in_generate=True,
                             pad_token_id=0, eos_token_id=stop_ids)
    new = gen.sequences[0, ids.shape[1]:].tolist()
    steps = torch.stack([l[0] for l in gen.logits])
    top2 = steps.topk(2, dim=-1).values
    out = {
        "prompt_ids": prompt_ids,
        "stop_token_ids": stop_ids,
        "max_new_tokens": MAX_NEW_TOKENS,
        "greedy_ids": new,
        "min_top2_margin": float((top2[:, 0] - top2[:, 1]).min()),
        "transformers": T.__version__,
        "torch": torch.__version__,
        "note": "greedy continuation of lfm2-tiny in float32 from its bf16 weights",
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps({"greedy_ids": new, "min_top2_margin": out["min_top2_margin"]}))


if __name__ == "__main__":
    main()
