#!/usr/bin/env python3
"""Writes an LFM2 GGUF (arch "lfm2") from a Hugging Face LFM2 safetensors directory.

Why: issue 5 compares lateral's kernels with llama.cpp on the SAME random weights that
lateral's benchmarks load (/tmp/lateral-bench/...). This script turns such a directory into
a GGUF that llama.cpp loads; llama-quantize then makes Q8_0 / Q4_0 from the BF16 output.

Runs with Debian's python3-gguf + python3-numpy (inside the sid chroot, see README.md); it
does not need torch or safetensors: the safetensors header is parsed here and the bf16 data
is read as raw uint16 through numpy.memmap, so BF16 output is bit-exact.

Conventions followed (see ../shared/reference/LFM2.md section 9):
  * metadata: lfm2.{context_length, embedding_length, block_count, feed_forward_length
    (auto-adjusted FFN width), attention.head_count, attention.head_count_kv (per layer,
    0 for conv layers: that is how llama.cpp tells conv layers from attention layers),
    attention.layer_norm_rms_epsilon, rope.freq_base, vocab_size, shortconv.l_cache};
  * the conv weight [H, 1, L] is squeezed to [H, L] (ggml ne {L, H});
  * 1-D tensors (norms) and the short-conv kernel are stored F32, matrices BF16 or F16;
  * the final norm (HF embedding_norm) is token_embd_norm; no output.weight (tied head);
  * ColBERT directories (Lfm2Model, trunk without "model." prefix) also get the 1_Dense
    projection as dense_2.weight and lfm2.embedding_length_out, so llama-embedding
    --pooling none emits the 128-dim ColBERT vectors.
Tokenizer: a synthetic gpt2-style BPE vocab of exactly vocab_size entries (14 LFM2-like
special tokens, 256 byte tokens, then two-byte tokens with one merge each). Benchmarks feed
token ids, not real text, so only the size matters; bos 1, eos 7, pad 0.

Usage: make_gguf.py MODEL_DIR OUT.gguf --outtype bf16|f16 [--name NAME]
"""

import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np
import gguf

ARCH = "lfm2"
SPECIAL_TOKENS = [
    "<|pad|>", "<|startoftext|>", "<|endoftext|>", "<|fim_pre|>", "<|fim_mid|>",
    "<|fim_suf|>", "<|im_start|>", "<|im_end|>", "<|tool_list_start|>",
    "<|tool_list_end|>", "<|tool_call_start|>", "<|tool_call_end|>",
    "<|tool_response_start|>", "<|tool_response_end|>",
]
BOS_ID, EOS_ID, PAD_ID = 1, 7, 0


def fail(msg):
    print(f"make_gguf.py: {msg}", file=sys.stderr)
    sys.exit(1)


class SafeTensors:
    """Raw view of one .safetensors file: name -> (dtype string, shape, numpy memmap)."""

    DTYPES = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32}

    def __init__(self, path):
        self.path = path
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
        self.base = 8 + n
        self.entries = {k: v for k, v in header.items() if k != "__metadata__"}

    def names(self):
        return list(self.entries)

    def get(self, name):
        e = self.entries[name]
        if e["dtype"] not in self.DTYPES:
            fail(f"{self.path}: tensor {name!r} has dtype {e['dtype']}, expected BF16/F16/F32")
        begin, end = e["data_offsets"]
        dt = np.dtype(self.DTYPES[e["dtype"]])
        count = (end - begin) // dt.itemsize
        if count != int(np.prod(e["shape"], dtype=np.int64)):
            fail(f"{self.path}: tensor {name!r} byte size does not match shape {e['shape']}")
        arr = np.memmap(self.path, dtype=dt, mode="r", offset=self.base + begin,
                        shape=tuple(e["shape"]))
        return e["dtype"], arr


def to_f32(dtype, arr):
    if dtype == "BF16":
        return (arr.astype(np.uint32) << 16).view(np.float32)
    return np.asarray(arr, dtype=np.float32)


def to_bf16_bits(dtype, arr):
    """Returns uint16 bf16 bits; bf16 input is passed through untouched (bit-exact)."""
    if dtype == "BF16":
        return np.ascontiguousarray(arr)
    f = np.ascontiguousarray(arr, dtype=np.float32).view(np.uint32)
    # round to nearest even, as torch does
    return ((f + 0x7FFF + ((f >> 16) & 1)) >> 16).astype(np.uint16)


def ffn_width(cfg):
    """LFM2 FFN width rule (LFM2.md section 2.2)."""
    ff = cfg.get("block_ff_dim", cfg.get("intermediate_size"))
    if cfg.get("block_auto_adjust_ff_dim", False):
        ff = int(2 * ff / 3)
        mult = cfg.get("block_ffn_dim_multiplier")
        if mult is not None:
            ff = int(mult * ff)
        m = cfg.get("block_multiple_of", 256)
        ff = m * ((ff + m - 1) // m)
    return ff


def layer_types(cfg):
    n = cfg["num_hidden_layers"]
    if "layer_types" in cfg:
        return cfg["layer_types"]
    attn = set(cfg.get("full_attn_idxs") or range(n))
    return ["full_attention" if i in attn else "conv" for i in range(n)]


def tensor_name(t, bid=None):
    name = gguf.TENSOR_NAMES[t]
    return name.format(bid=bid) if bid is not None else name


T = gguf.MODEL_TENSOR
LAYER_MAP = {
    "operator_norm": T.ATTN_NORM,
    "ffn_norm": T.FFN_NORM,
    "feed_forward.w1": T.FFN_GATE,
    "feed_forward.w3": T.FFN_UP,
    "feed_forward.w2": T.FFN_DOWN,
    "conv.in_proj": T.SHORTCONV_INPROJ,
    "conv.out_proj": T.SHORTCONV_OUTPROJ,
    "conv.conv": T.SHORTCONV_CONV,
    "self_attn.q_proj": T.ATTN_Q,
    "self_attn.k_proj": T.ATTN_K,
    "self_attn.v_proj": T.ATTN_V,
    "self_attn.out_proj": T.ATTN_OUT,
    "self_attn.q_layernorm": T.ATTN_Q_NORM,
    "self_attn.k_layernorm": T.ATTN_K_NORM,
}
TOP_MAP = {
    "embed_tokens": T.TOKEN_EMBD,
    "embedding_norm": T.TOKEN_EMBD_NORM,  # the FINAL norm in LFM2 (LLM_TENSOR_OUTPUT_NORM_LFM2)
    "lm_head": T.OUTPUT,
}


def map_name(hf_name):
    """HF tensor name (prefix "model.", "lfm2." or none) -> (gguf name, is_conv_kernel)."""
    n = hf_name
    for p in ("model.", "lfm2."):
        if n.startswith(p):
            n = n[len(p):]
            break
    if not n.endswith(".weight"):
        fail(f"unexpected tensor {hf_name!r} (only .weight tensors are known; conv_bias must be false)")
    n = n[: -len(".weight")]
    if n in TOP_MAP:
        return tensor_name(TOP_MAP[n]) + ".weight", False
    parts = n.split(".")
    if len(parts) >= 3 and parts[0] == "layers" and parts[1].isdigit():
        rest = ".".join(parts[2:])
        if rest in LAYER_MAP:
            t = LAYER_MAP[rest]
            return tensor_name(t, int(parts[1])) + ".weight", t == T.SHORTCONV_CONV
    fail(f"unknown tensor {hf_name!r}")


def bytes_to_unicode():
    """The GPT-2 byte-level alphabet: printable bytes map to themselves, the rest to U+0100+."""
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1))
            + list(range(0xAE, 0xFF + 1)))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + extra)
            extra += 1
    return out


def synthetic_vocab(vocab_size):
    """Specials, 256 byte tokens, then two-byte tokens each made by one merge."""
    alphabet = [bytes_to_unicode()[b] for b in range(256)]
    tokens = list(SPECIAL_TOKENS) + alphabet
    types = [gguf.TokenType.CONTROL] * len(SPECIAL_TOKENS) + [gguf.TokenType.NORMAL] * 256
    if vocab_size < len(tokens):
        fail(f"vocab_size {vocab_size} is smaller than the {len(tokens)} base tokens")
    merges = []
    need = vocab_size - len(tokens)
    # printable ASCII pairs first so ordinary text merges into 2-byte tokens
    order = sorted(range(256), key=lambda b: (not (0x20 <= b < 0x7F), b))
    done = False
    for a in order:
        for b in order:
            if len(merges) == need:
                done = True
                break
            ca, cb = alphabet[a], alphabet[b]
            tokens.append(ca + cb)
            types.append(gguf.TokenType.NORMAL)
            merges.append(f"{ca} {cb}")
        if done:
            break
    if len(tokens) != vocab_size:
        fail(f"cannot make {vocab_size} tokens from byte pairs")
    return tokens, types, merges


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--outtype", choices=["bf16", "f16"], required=True)
    ap.add_argument("--name", default=None)
    ap.add_argument("--no-dense", action="store_true",
                    help="ColBERT: leave out the 1_Dense projection (trunk only)")
    args = ap.parse_args()

    cfg_path = args.model_dir / "config.json"
    st_path = args.model_dir / "model.safetensors"
    for p in (cfg_path, st_path):
        if not p.is_file():
            fail(f"{p}: not found")
    cfg = json.loads(cfg_path.read_text())
    if cfg.get("model_type") != "lfm2":
        fail(f"{cfg_path}: model_type is {cfg.get('model_type')!r}, expected \"lfm2\"")
    if cfg.get("conv_bias", False):
        fail(f"{cfg_path}: conv_bias true is not supported")

    n_layer = cfg["num_hidden_layers"]
    kinds = layer_types(cfg)
    if len(kinds) != n_layer:
        fail(f"{cfg_path}: {len(kinds)} layer_types for {n_layer} layers")
    hidden = cfg["hidden_size"]
    n_head = cfg["num_attention_heads"]
    n_kv = cfg["num_key_value_heads"]
    vocab = cfg["vocab_size"]
    ff = ffn_width(cfg)

    w = gguf.GGUFWriter(str(args.out), ARCH)
    w.add_name(args.name or args.model_dir.name)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_BF16 if args.outtype == "bf16"
                    else gguf.LlamaFileType.MOSTLY_F16)
    w.add_context_length(cfg.get("max_position_embeddings", 128000))
    w.add_embedding_length(hidden)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(ff)
    w.add_head_count(n_head)
    w.add_head_count_kv([n_kv if k != "conv" else 0 for k in kinds])
    w.add_layer_norm_rms_eps(cfg.get("norm_eps", 1e-5))
    theta = cfg.get("rope_theta", (cfg.get("rope_parameters") or {}).get("rope_theta", 1e6))
    w.add_rope_freq_base(float(theta))
    w.add_vocab_size(vocab)
    w.add_shortconv_l_cache(cfg.get("conv_L_cache", 3))

    tokens, types, merges = synthetic_vocab(vocab)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("lfm2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(BOS_ID)
    w.add_eos_token_id(EOS_ID)
    w.add_pad_token_id(PAD_ID)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)

    st = SafeTensors(st_path)
    wtype = gguf.GGMLQuantizationType.BF16 if args.outtype == "bf16" else gguf.GGMLQuantizationType.F16

    def add_matrix(name, dtype, arr):
        if args.outtype == "bf16":
            w.add_tensor(name, to_bf16_bits(dtype, arr), raw_dtype=wtype)
        else:
            w.add_tensor(name, to_f32(dtype, arr).astype(np.float16))

    seen = set()
    for hf_name in st.names():
        name, is_conv = map_name(hf_name)
        if name in seen:
            fail(f"{st_path}: two tensors map to {name}")
        seen.add(name)
        dtype, arr = st.get(hf_name)
        if is_conv:
            if arr.ndim == 3:
                if arr.shape[1] != 1:
                    fail(f"{hf_name}: conv weight shape {arr.shape}, expected [H, 1, L]")
                arr = arr.reshape(arr.shape[0], arr.shape[2])  # same bytes, [H, L]
            w.add_tensor(name, np.ascontiguousarray(to_f32(dtype, arr)))
        elif arr.ndim <= 1 or name.endswith("_norm.weight"):
            w.add_tensor(name, np.ascontiguousarray(to_f32(dtype, arr)))
        else:
            add_matrix(name, dtype, arr)

    # sanity: every layer has its block's tensors
    for i, k in enumerate(kinds):
        need = ([T.SHORTCONV_INPROJ, T.SHORTCONV_OUTPROJ, T.SHORTCONV_CONV] if k == "conv"
                else [T.ATTN_Q, T.ATTN_K, T.ATTN_V, T.ATTN_OUT, T.ATTN_Q_NORM, T.ATTN_K_NORM])
        for t in need + [T.ATTN_NORM, T.FFN_NORM, T.FFN_GATE, T.FFN_UP, T.FFN_DOWN]:
            if tensor_name(t, i) + ".weight" not in seen:
                fail(f"{st_path}: layer {i} ({k}) lacks {tensor_name(t, i)}.weight")
    for t in (T.TOKEN_EMBD, T.TOKEN_EMBD_NORM):
        if tensor_name(t) + ".weight" not in seen:
            fail(f"{st_path}: missing the tensor for {tensor_name(t)}.weight")

    dense = args.model_dir / "1_Dense" / "model.safetensors"
    if dense.is_file() and not args.no_dense:
        dst = SafeTensors(dense)
        if "linear.weight" not in dst.entries:
            fail(f"{dense}: no linear.weight")
        dtype, arr = dst.get("linear.weight")
        if arr.ndim != 2 or arr.shape[1] != hidden:
            fail(f"{dense}: linear.weight shape {arr.shape}, expected [out, {hidden}]")
        w.add_embedding_length_out(arr.shape[0])
        add_matrix(tensor_name(T.DENSE_2_OUT) + ".weight", dtype, arr)
        if "linear.bias" in dst.entries:
            bdtype, barr = dst.get("linear.bias")
            w.add_tensor(tensor_name(T.DENSE_2_OUT) + ".bias", np.ascontiguousarray(to_f32(bdtype, barr)))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {args.out} ({args.outtype}, {len(seen)} trunk tensors, vocab {vocab}, ff {ff})")


if __name__ == "__main__":
    main()
