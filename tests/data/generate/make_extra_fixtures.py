"""Extra reference fixtures for lateral's model tests (run on a machine with
PyTorch and Hugging Face transformers; adapted from ../shared/fixtures/generate).

Writes to $OUT (or argv[1]):
  lfm2-check/      an LFM2 with every math-changing config field off its default
                   (conv_bias, conv_L_cache 4, ffn multiplier 1.5, untied head,
                   rope_parameters, norm_eps 1e-6), stored as 2 shards with an index.
  lfm2moe-check/   an LFM2-MoE with 2 dense layers, no expert bias, no top-k
                   renormalisation and a routed scaling factor, stored as f32.
  lfm2-tiny-f16/   the lfm2-tiny weights stored as float16 (reference recomputed).
  batch-mask/      lfm2-tiny run on a right-padded batch with an attention mask
                   (what the ColBERT query expansion relies on).
  hf-source/       the modeling and configuration sources that computed all this.
"""
import importlib, inspect, json, os, shutil, sys
import torch, torch.nn.functional as F
from safetensors.torch import save_file, load_file
import transformers as T

OUT = sys.argv[1] if len(sys.argv) > 1 else os.environ["OUT"]
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(0)

src = os.path.join(OUT, "hf-source"); os.makedirs(src, exist_ok=True)
for mod in ("lfm2", "lfm2_moe"):
    for kind in ("modeling", "configuration"):
        m = importlib.import_module(f"transformers.models.{mod}.{kind}_{mod}")
        open(os.path.join(src, f"{kind}_{mod}.py"), "w").write(inspect.getsource(m))

def randomize(model, seed, std=0.08):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 1 and "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            elif "conv.weight" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(std * torch.randn(p.shape, generator=g))
        for name, b in model.named_buffers():
            if name.endswith("expert_bias"):
                b.copy_(0.05 * torch.randn(b.shape, generator=g))

def cases(vocab, seed, lengths=(1, 6, 41, 300)):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(3, vocab, (n,), generator=g) for n in lengths]

def record(model, d, name, vocab, seed, store_dtype, extra_meta=None):
    exp, meta = {}, {"cases": [], "model": name, "transformers": T.__version__, "torch": torch.__version__,
                     "note": f"reference computed in float32 from the {store_dtype} weights saved here"}
    for i, ids in enumerate(cases(vocab, seed)):
        with torch.no_grad():
            out = model(input_ids=ids[None])
            h = model.model(input_ids=ids[None]).last_hidden_state[0]
            gen = model.generate(ids[None], max_new_tokens=8, do_sample=False, use_cache=True,
                                 output_logits=True, return_dict_in_generate=True,
                                 pad_token_id=0, eos_token_id=None)
        steps = torch.stack([l[0] for l in gen.logits])
        top2 = steps.topk(2, dim=-1).values
        exp[f"case{i}.input_ids"] = ids.to(torch.int32).contiguous()
        exp[f"case{i}.last_hidden_state"] = h.contiguous()
        exp[f"case{i}.logits_last"] = out.logits[0, -1].contiguous()
        exp[f"case{i}.greedy_ids"] = gen.sequences[0, ids.numel():].to(torch.int32).contiguous()
        exp[f"case{i}.greedy_step_logits"] = steps.contiguous()
        meta["cases"].append({"len": ids.numel(), "min_top2_margin": float((top2[:, 0] - top2[:, 1]).min())})
    if extra_meta: meta.update(extra_meta)
    save_file(exp, os.path.join(d, "expected.safetensors"))
    json.dump(meta, open(os.path.join(d, "expected.json"), "w"), indent=1)
    print(name, "ok", meta)

def build(name, cfg_cls, model_cls, cfg_kwargs, seed, store_dtype=torch.bfloat16, shard=None):
    d = os.path.join(OUT, name); os.makedirs(d, exist_ok=True)
    cfg = cfg_cls(**cfg_kwargs)
    model = model_cls(cfg).eval()
    randomize(model, seed)
    model.to(torch.bfloat16).to(torch.float32)          # bf16-rounded values, like hub checkpoints
    kw = {"safe_serialization": True}
    if shard: kw["max_shard_size"] = shard
    model.to(store_dtype).save_pretrained(d, **kw)
    model.to(store_dtype).to(torch.float32)
    gcfg = os.path.join(d, "generation_config.json")
    record(model, d, name, cfg.vocab_size, seed + 2, str(store_dtype),
           {"ffn_size_seen_by_reference": model.model.layers[0].feed_forward.w1.weight.shape[0]
            if hasattr(model.model.layers[0].feed_forward, "w1") else None})
    return model, d

check = dict(vocab_size=32000, hidden_size=96, intermediate_size=320, num_hidden_layers=7,
             num_attention_heads=6, num_key_value_heads=3, block_multiple_of=64, block_ffn_dim_multiplier=1.5,
             layer_types=["conv", "full_attention", "conv", "conv", "full_attention", "conv", "conv"],
             conv_bias=True, conv_L_cache=4, rope_parameters={"rope_theta": 10000.0, "rope_type": "default"},
             max_position_embeddings=4096, norm_eps=1e-6, tie_word_embeddings=False)
build("lfm2-check", T.Lfm2Config, T.Lfm2ForCausalLM, check, seed=30, shard="2MB")

moe = dict(vocab_size=8000, hidden_size=64, intermediate_size=160, moe_intermediate_size=48,
           num_hidden_layers=6, num_attention_heads=8, num_key_value_heads=2, num_dense_layers=2,
           num_experts=6, num_experts_per_tok=2, use_expert_bias=False, norm_topk_prob=False,
           routed_scaling_factor=2.5,
           layer_types=["conv", "full_attention", "conv", "conv", "full_attention", "conv"],
           max_position_embeddings=4096, tie_word_embeddings=True)
build("lfm2moe-check", T.Lfm2MoeConfig, T.Lfm2MoeForCausalLM, moe, seed=40, store_dtype=torch.float32)

# lfm2-tiny again, stored as float16
dense = dict(vocab_size=65536, hidden_size=64, intermediate_size=256, num_hidden_layers=6,
             num_attention_heads=4, num_key_value_heads=2, block_multiple_of=32,
             layer_types=["conv", "conv", "full_attention", "conv", "full_attention", "conv"],
             max_position_embeddings=4096, norm_eps=1e-5, tie_word_embeddings=True)
tiny, tiny_dir = build("lfm2-tiny-f16", T.Lfm2Config, T.Lfm2ForCausalLM, dense, seed=10,
                       store_dtype=torch.float16)

# a right-padded batch with an attention mask through the same model
bdir = os.path.join(OUT, "batch-mask"); os.makedirs(bdir, exist_ok=True)
g = torch.Generator().manual_seed(99)
lens = [9, 3, 14]
ids = torch.zeros(3, 14, dtype=torch.long); mask = torch.zeros(3, 14, dtype=torch.long)
for r, n in enumerate(lens):
    ids[r] = torch.randint(3, 65536, (14,), generator=g)
    mask[r, :n] = 1
mask[2, 10:] = 0     # row 2: real tokens then masked tokens that still get outputs (like query expansion)
with torch.no_grad():
    h = tiny.model(input_ids=ids, attention_mask=mask).last_hidden_state
save_file({"input_ids": ids.to(torch.int32).contiguous(), "attention_mask": mask.to(torch.int32).contiguous(),
           "last_hidden_state": h.contiguous()}, os.path.join(bdir, "expected.safetensors"))
json.dump({"model": "lfm2-tiny-f16", "note": "rows are right-padded; masked positions keep outputs"},
          open(os.path.join(bdir, "expected.json"), "w"), indent=1)
print("batch-mask ok")
