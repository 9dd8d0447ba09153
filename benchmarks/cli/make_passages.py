#!/usr/bin/env python3
"""Writes N passages as JSON Lines for the CLI benchmarks: each passage joins 3-6 random
sentences of one language taken from the evaluation corpora (tldr, xquad-r, udhr), so the
vocabulary, scripts and lengths are those of real multilingual text. Deterministic (seed 1)."""
import gzip, json, random, sys

corpora, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
by_lang = {}
for name in ("tldr", "xquad-r", "udhr"):
    with gzip.open(f"{corpora}/{name}/corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            lang = d.get("lang") or "en"
            for piece in d["text"].replace("\n", " ").split(". "):
                piece = piece.strip()
                if len(piece) > 20:
                    by_lang.setdefault(lang, []).append(piece)
langs = sorted(l for l in by_lang if len(by_lang[l]) >= 50)
rng = random.Random(1)
with open(out, "w", encoding="utf-8") as f:
    for i in range(n):
        lang = rng.choice(langs)
        text = ". ".join(rng.choice(by_lang[lang]) for _ in range(rng.randint(3, 6))) + "."
        f.write(json.dumps({"id": f"p{i}", "text": text, "lang": lang}, ensure_ascii=False) + "\n")
