#!/usr/bin/env python3
"""Reference renders for lateral's ChatTemplate tests.

Renders every template in templates/ with every conversation in cases.json through Hugging Face
transformers' tokenizer.apply_chat_template(..., tokenize=False), the reference for how a model's
chat template turns messages into a prompt, and writes OUT/expected.json:

  {"transformers": ..., "jinja2": ..., "bos_token": ..., "eos_token": ...,
   "results": {TEMPLATE: {CASE: {"text": ...} | {"error": "Type: message"}}}}

The tokenizer (and so bos_token / eos_token) is tests/data/colbert-tiny's. Run from anywhere on a
machine with transformers 5.x:  python3 tests/data/chat-template/generate.py --out DIR
"""
import argparse
import json
import os
import pathlib

import jinja2
import transformers
from transformers import AutoTokenizer

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True, help="directory for expected.json")
    args = parser.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(str(REPO / "tests" / "data" / "colbert-tiny"))
    cases = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))
    results = {}
    for path in sorted((HERE / "templates").glob("*.jinja")):
        tokenizer.chat_template = path.read_text(encoding="utf-8")
        rendered = {}
        for case in cases:
            try:
                text = tokenizer.apply_chat_template(
                    case["messages"], tokenize=False, add_generation_prompt=case["add_generation_prompt"])
                rendered[case["name"]] = {"text": text}
            except Exception as error:  # the template's own errors are part of the reference
                rendered[case["name"]] = {"error": f"{type(error).__name__}: {error}"}
        results[path.name] = rendered

    out = {
        "transformers": transformers.__version__,
        "jinja2": jinja2.__version__,
        "bos_token": tokenizer.bos_token,
        "eos_token": tokenizer.eos_token,
        "results": results,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps({name: sorted(k for k, v in r.items() if "error" in v) for name, r in results.items()}))


if __name__ == "__main__":
    main()
