#!/usr/bin/python3
"""Independent NumPy references for lowbit's model families.

For one case it writes, into --dir:
  config.json, model.safetensors   a tiny random checkpoint in the Hugging Face
                                   layout of the family (names, packing, dtypes)
  direct.gguf                      the same model as the peer's converter lays
                                   it out in GGUF (llama.cpp / bitnet.cpp names,
                                   keys, block encodings, Q/K permutation),
                                   written here with struct and NumPy only
  ref.json                         prompt, greedy continuations
  logits_float.npy, logits_ternary.npy   logits [T, V] of every prompt token

The forward pass follows the Hugging Face models (transformers' LlamaModel
with BitNet's sub-norms where the family has them), in float64: rope by
rotate_half on the checkpoint's own q/k layout (llama3 rope scaling as
transformers computes its inv_freq), GQA, causal softmax, RMSNorm, SiLU or
relu^2 gate. Two paths: float (plain matmuls) and ternary (the projections'
inputs quantized per token to int8 by absmax, round half away from zero,
as BitNet b1.58 and bitnet.cpp do). Effective weights: packed ternary
divided by weight_scale (transformers' BitLinear), latent weights
ternarized by absmean with torch.round's half-to-even rounding (1bitLLM and
llama.cpp's converter), float weights as they are.

Run: /usr/bin/python3 tests/reference/family_ref.py --case b158 --dir DIR
Cases: b158 (BitNetForCausalLM, 2B4T), bitnet (BitnetForCausalLM, 1bitLLM),
llama158 (LlamaForCausalLM, BitNet quantization_config, llama3 rope scaling),
llama (LlamaForCausalLM, float).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import formats_ref  # noqa: E402  (independent TQ1_0/TQ2_0/I2_S encoders)
import gguf_ref  # noqa: E402  (independent GGUF writer)

V, D, L, NH, NKV, HD, FF = 300, 256, 2, 2, 1, 128, 512
THETA, EPS = 10000.0, 1e-5
PROMPT = [1, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10, 84, 104, 101, 32, 113]
N_GREEDY = 8

CASES = {
    "b158": dict(cls="BitNetForCausalLM", model_type="bitnet", weights="packed", act="relu2",
                 sub=("self_attn.attn_sub_norm", "mlp.ffn_sub_norm"), tied=True, permute=False,
                 gguf_arch="bitnet-b1.58", gguf_type="i2_s", seed=2036),
    "bitnet": dict(cls="BitnetForCausalLM", model_type="llama", weights="latent", act="silu",
                   sub=("self_attn.inner_attn_ln", "mlp.ffn_layernorm"), tied=False, permute=False,
                   gguf_arch="bitnet", gguf_type="tq2_0", seed=2026),
    "llama158": dict(cls="LlamaForCausalLM", model_type="llama", weights="packed", act="silu", sub=None,
                     tied=False, permute=True, gguf_arch="llama", gguf_type="i2_s", seed=2030,
                     rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                   "high_freq_factor": 4.0, "original_max_position_embeddings": 64}),
    # The same checkpoints in the other layouts peers use: 2B4T converted
    # for llama.cpp (`bitnet` + hidden_activation relu2, TQ1_0), 1bitLLM as
    # bitnet.cpp stores it (I2_S under `bitnet`), a LLaMA in Q8_0 and BF16.
    "b158_llamacpp": dict(cls="BitNetForCausalLM", model_type="bitnet", weights="packed", act="relu2",
                          sub=("self_attn.attn_sub_norm", "mlp.ffn_sub_norm"), tied=True, permute=False,
                          gguf_arch="bitnet", gguf_type="tq1_0", seed=2036),
    "bitnet_i2s": dict(cls="BitnetForCausalLM", model_type="llama", weights="latent", act="silu",
                       sub=("self_attn.inner_attn_ln", "mlp.ffn_layernorm"), tied=False, permute=False,
                       gguf_arch="bitnet", gguf_type="i2_s", seed=2027),
    "llama_q8": dict(cls="LlamaForCausalLM", model_type="llama", weights="float", act="silu", sub=None,
                     tied=False, permute=True, gguf_arch="llama", gguf_type="q8_0", seed=2028),
    "llama_bf16": dict(cls="LlamaForCausalLM", model_type="llama", weights="float", act="silu", sub=None,
                       tied=False, permute=True, gguf_arch="llama", gguf_type="bf16", seed=2028),
    "llama": dict(cls="LlamaForCausalLM", model_type="llama", weights="float", act="silu", sub=None,
                  tied=False, permute=True, gguf_arch="llama", gguf_type="f16", seed=2028),
}
PROJ = [("self_attn.q_proj", "attn_q", NH * HD, D), ("self_attn.k_proj", "attn_k", NKV * HD, D),
        ("self_attn.v_proj", "attn_v", NKV * HD, D), ("self_attn.o_proj", "attn_output", D, NH * HD),
        ("mlp.gate_proj", "ffn_gate", FF, D), ("mlp.up_proj", "ffn_up", FF, D),
        ("mlp.down_proj", "ffn_down", D, FF)]


# ---------------------------------------------------------------- checkpoint

def hf_pack(t):
    """transformers' pack_weights: output row k*R + r in bits 2k+1:2k of row r, value + 1."""
    rows = t.shape[0]
    r = rows // 4
    u = (t + 1).astype(np.uint8)
    return (u[0:r] | u[r:2 * r] << 2 | u[2 * r:3 * r] << 4 | u[3 * r:] << 6).astype(np.uint8)


def bf16(a):
    """float32 -> bf16 bits (round to nearest even) and the float32 values they hold."""
    b = np.asarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    b = ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)
    return b, (b.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def make_checkpoint(case, rng):
    """Returns (safetensors dict, effective float64 weights by HF name)."""
    st, eff = {}, {}

    def add_bf16(name, a):
        bits, vals = bf16(a)
        st[name] = ("BF16", a.shape, bits.tobytes())
        eff[name] = vals.astype(np.float64)

    add_bf16("model.embed_tokens.weight", rng.standard_normal((V, D)).astype(np.float32) * 0.5)
    add_bf16("model.norm.weight", 1.0 + 0.25 * rng.standard_normal(D).astype(np.float32))
    if not case["tied"]:
        add_bf16("lm_head.weight", rng.standard_normal((V, D)).astype(np.float32) * 0.1)
    for l in range(L):
        p = f"model.layers.{l}."
        add_bf16(p + "input_layernorm.weight", 1.0 + 0.25 * rng.standard_normal(D).astype(np.float32))
        add_bf16(p + "post_attention_layernorm.weight", 1.0 + 0.25 * rng.standard_normal(D).astype(np.float32))
        if case["sub"]:
            add_bf16(p + case["sub"][0] + ".weight", 1.0 + 0.25 * rng.standard_normal(NH * HD).astype(np.float32))
            add_bf16(p + case["sub"][1] + ".weight", 1.0 + 0.25 * rng.standard_normal(FF).astype(np.float32))
        for hf, _, rows, cols in PROJ:
            name = p + hf + ".weight"
            if case["weights"] == "packed":
                t = rng.integers(-1, 2, size=(rows, cols)).astype(np.int8)
                ws = np.float32(2.0 ** rng.integers(1, 4))  # exact in bf16; W = t / ws
                st[name] = ("U8", (rows // 4, cols), hf_pack(t).tobytes())
                st[name + "_scale"] = ("BF16", (1,), bf16(np.array([ws]))[0].tobytes())
                eff[name] = t.astype(np.float64) / float(ws)
            elif case["weights"] == "latent":
                # Latent weights whose mean |w| is exactly 2^-5, so that the
                # ternarized tensor is (-1, 0, 1) x 2^-5 exactly and the f16
                # block scales of TQ1_0/TQ2_0 and f16 weights hold it without
                # rounding. The magnitudes (0.25 .. 1.75) x 2^-5, in equal
                # numbers, put values on both sides of every threshold and
                # exactly on the ties 0.5 and 1.5 (half to even: 0 and 2 -> 1).
                mags = np.resize(np.array([0.25, 1.75, 0.5, 1.5, 0.75, 1.25]), rows * cols)
                w = (rng.permutation(mags) * rng.choice([-1.0, 1.0], rows * cols) / 32).reshape(rows, cols)
                w = w.astype(np.float32)
                bits, vals = bf16(w)
                st[name] = ("BF16", w.shape, bits.tobytes())
                # 1bitLLM's weight_quant in float32: scale = 1 / max(mean|w|, 1e-5),
                # torch.round (half to even) and clip, divided back.
                iscale = np.float32(1.0) / np.maximum(np.float32(np.mean(np.abs(vals), dtype=np.float64)),
                                                      np.float32(1e-5))
                q = np.clip(np.round(vals * iscale), -1, 1).astype(np.float32)
                eff[name] = (q / iscale).astype(np.float64)
            else:
                w = (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)
                add_bf16(name, w)
    return st, eff


def config_json(case):
    c = {"architectures": [case["cls"]], "model_type": case["model_type"], "hidden_size": D,
         "intermediate_size": FF, "num_hidden_layers": L, "num_attention_heads": NH, "num_key_value_heads": NKV,
         "vocab_size": V, "max_position_embeddings": 256, "rms_norm_eps": EPS, "rope_theta": THETA,
         "hidden_act": case["act"], "tie_word_embeddings": case["tied"], "bos_token_id": 1, "eos_token_id": 2}
    if case["weights"] == "packed":
        c["quantization_config"] = {"quant_method": "bitnet", "linear_class": "bitlinear"}
    if "rope_scaling" in case:
        c["rope_scaling"] = case["rope_scaling"]
    return c


# ---------------------------------------------------------------- forward

def inv_freq(case):
    f = 1.0 / THETA ** (np.arange(0, HD, 2, dtype=np.float64) / HD)
    rs = case.get("rope_scaling")
    if not rs:
        return f
    # transformers' _compute_llama3_parameters
    factor, lo, hi, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], \
        rs["original_max_position_embeddings"]
    low_wavelen, high_wavelen = old / lo, old / hi
    wavelen = 2 * np.pi / f
    f_llama = np.where(wavelen > low_wavelen, f / factor, f)
    smooth = (old / wavelen - lo) / (hi - lo)
    smoothed = (1 - smooth) * f_llama / factor + smooth * f_llama
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return np.where(medium, smoothed, f_llama)


def rope(x, heads, freqs):
    T = x.shape[0]
    x = x.reshape(T, heads, HD)
    ang = np.arange(T)[:, None] * freqs[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, axis=1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, axis=1)[:, None, :]
    rot = np.concatenate([-x[..., HD // 2:], x[..., :HD // 2]], axis=-1)  # rotate_half
    return (x * cos + rot * sin).reshape(T, heads * HD)


def rms_norm(x, w):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + EPS) * w


# Per token: the smallest distance of any quantized activation to a rounding
# boundary (x.5) seen in the forward pass. float32 (lowbit) and float64 (here)
# may round a value that close to the boundary differently (one level of one
# int8 activation: ~3e-3 of the logits); the test checks such a token with a
# looser bound and compares greedy continuations only up to such a step.
MARGIN = None
TIE = 1e-4  # margins below this are near-ties (flips seen at 2e-5 on this model size)


def linear(x, w, ternary):
    global MARGIN
    if not ternary:
        return x @ w.T
    s = np.abs(w).max()
    wt = np.round(w / s)
    gamma = np.abs(x).max(axis=1, keepdims=True)
    v = 127.0 * x / gamma
    a = np.abs(v)
    m = np.abs(a - np.floor(a) - 0.5).min(axis=1)
    MARGIN = m if MARGIN is None else np.minimum(MARGIN, m)
    xq = np.clip(formats_ref.round_half_away(v), -128, 127)
    return (xq @ wt.T) * s * gamma / 127.0


def forward(case, W, tokens, ternary):
    freqs = inv_freq(case)
    T = len(tokens)
    x = W["model.embed_tokens.weight"][tokens]
    for l in range(L):
        p = f"model.layers.{l}."
        lin = lambda h, n: linear(h, W[p + n + ".weight"], ternary)  # noqa: E731
        h = rms_norm(x, W[p + "input_layernorm.weight"])
        q = rope(lin(h, "self_attn.q_proj"), NH, freqs)
        k = rope(lin(h, "self_attn.k_proj"), NKV, freqs)
        v = lin(h, "self_attn.v_proj")
        att = np.zeros((T, NH * HD))
        for hh in range(NH):
            kh = hh // (NH // NKV)
            sc = q[:, hh * HD:(hh + 1) * HD] @ k[:, kh * HD:(kh + 1) * HD].T / np.sqrt(HD)
            sc += np.triu(np.full((T, T), -np.inf), 1)
            pr = np.exp(sc - sc.max(axis=1, keepdims=True))
            pr /= pr.sum(axis=1, keepdims=True)
            att[:, hh * HD:(hh + 1) * HD] = pr @ v[:, kh * HD:(kh + 1) * HD]
        if case["sub"]:
            att = rms_norm(att, W[p + case["sub"][0] + ".weight"])
        x = x + lin(att, "self_attn.o_proj")
        h = rms_norm(x, W[p + "post_attention_layernorm.weight"])
        g, u = lin(h, "mlp.gate_proj"), lin(h, "mlp.up_proj")
        a = np.maximum(g, 0) ** 2 if case["act"] == "relu2" else g / (1 + np.exp(-g))
        f = a * u
        if case["sub"]:
            f = rms_norm(f, W[p + case["sub"][1] + ".weight"])
        x = x + lin(f, "mlp.down_proj")
    x = rms_norm(x, W["model.norm.weight"])
    head = W["model.embed_tokens.weight"] if case["tied"] else W["lm_head.weight"]
    return x @ head.T


def forward_with_margin(case, W, tokens, ternary):
    global MARGIN
    MARGIN = None
    logits = forward(case, W, tokens, ternary)
    margin = MARGIN if MARGIN is not None else np.full(len(tokens), np.inf)
    return logits, margin


def greedy_continuation(step):
    """The greedy continuation of PROMPT, and how many of its tokens are
    decided beyond doubt: none of the steps before had a quantization
    near-tie (TIE) in its last token or a top-2 logit gap under 1e-3 of the
    logits' scale. step(tokens) gives (logits, margin) of a forward pass.
    Shared with hgrn_ref.py."""
    toks = list(PROMPT)
    out, reliable = [], None
    for i in range(N_GREEDY):
        logits, margin = step(toks)
        z = logits[-1]
        top2 = np.sort(z)[-2:]
        if reliable is None and (margin[-1] < TIE or top2[1] - top2[0] < 1e-3 * np.abs(logits).max()):
            reliable = i
        nxt = int(np.argmax(z))
        out.append(nxt)
        toks.append(nxt)
    return out, N_GREEDY if reliable is None else reliable


def greedy(case, W, ternary):
    return greedy_continuation(lambda toks: forward_with_margin(case, W, toks, ternary))


# ---------------------------------------------------------------- peer GGUF

def byte_vocab():
    """GPT-2's byte-to-unicode strings for the 256 bytes, then padding tokens."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = dict(zip(bs, cs))
    toks = [chr(table[b]) for b in range(256)]
    return toks + [f"[PAD{i}]" for i in range(256, V)]


def permute(w, heads):
    """llama.cpp convert_hf_to_gguf.py LlamaModel.permute."""
    return w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_direct_gguf(case, W, path):
    a = case["gguf_arch"]
    U32, F32, STRING, ARRAY, I32 = gguf_ref.U32, gguf_ref.F32, gguf_ref.STRING, gguf_ref.ARRAY, gguf_ref.I32
    toks = byte_vocab()
    kvs = [("general.architecture", STRING, a), ("general.alignment", U32, 32),
           (a + ".vocab_size", U32, V), (a + ".context_length", U32, 256), (a + ".embedding_length", U32, D),
           (a + ".block_count", U32, L), (a + ".feed_forward_length", U32, FF),
           (a + ".attention.head_count", U32, NH), (a + ".attention.head_count_kv", U32, NKV),
           (a + ".attention.layer_norm_rms_epsilon", F32, EPS), (a + ".rope.freq_base", F32, THETA),
           (a + ".rope.dimension_count", U32, HD),
           ("tokenizer.ggml.model", STRING, "gpt2"), ("tokenizer.ggml.pre", STRING, "default"),
           ("tokenizer.ggml.tokens", ARRAY, (STRING, toks)),
           ("tokenizer.ggml.token_type", ARRAY, (I32, [1] * 256 + [5] * (V - 256))),
           ("tokenizer.ggml.bos_token_id", U32, 1), ("tokenizer.ggml.eos_token_id", U32, 2)]
    if a == "bitnet" and case["act"] == "relu2":
        kvs.append((a + ".hidden_activation", STRING, "relu2"))
    if case["gguf_type"] == "i2_s":
        kvs.append(("general.file_type", U32, 40))  # bitnet.cpp's LLAMA_FTYPE_MOSTLY_I2_S
    f16 = lambda m: m.astype(np.float16).tobytes()  # noqa: E731
    f32 = lambda m: m.astype(np.float32).tobytes()  # noqa: E731
    tensors = []

    def add(name, m, kind):
        ne = list(m.shape[::-1])
        if kind == "f32":
            tensors.append((name, 0, ne, f32(m)))
        elif kind == "f16":
            tensors.append((name, 1, ne, f16(m)))
        elif kind == "tq2_0":
            tensors.append((name, 35, ne, formats_ref.tq2_0(m.astype(np.float32).ravel())))
        elif kind == "tq1_0":
            tensors.append((name, 34, ne, formats_ref.tq1_0(m.astype(np.float32).ravel())))
        elif kind == "i2_s":
            tensors.append((name, 36, ne, formats_ref.i2_s(m.astype(np.float32).ravel())))
        elif kind == "q8_0":
            tensors.append((name, 8, ne, formats_ref.q8_0(m.astype(np.float32).ravel())))
        elif kind == "bf16":
            tensors.append((name, 30, ne, bf16(m)[0].tobytes()))

    add("token_embd.weight", W["model.embed_tokens.weight"], "f16")
    add("output_norm.weight", W["model.norm.weight"], "f32")
    if not case["tied"]:
        add("output.weight", W["lm_head.weight"], "f16")
    if "rope_scaling" in case:
        add("rope_freqs.weight", (1.0 / THETA ** (np.arange(0, HD, 2) / HD)) / inv_freq(case), "f32")
    for l in range(L):
        p, g = f"model.layers.{l}.", f"blk.{l}."
        add(g + "attn_norm.weight", W[p + "input_layernorm.weight"], "f32")
        add(g + "ffn_norm.weight", W[p + "post_attention_layernorm.weight"], "f32")
        if case["sub"]:
            add(g + "attn_sub_norm.weight", W[p + case["sub"][0] + ".weight"], "f32")
            add(g + "ffn_sub_norm.weight", W[p + case["sub"][1] + ".weight"], "f32")
        for hf, gg, _, _ in PROJ:
            w = W[p + hf + ".weight"]
            if case["permute"] and gg in ("attn_q", "attn_k"):
                w = permute(w, NH if gg == "attn_q" else NKV)
            add(g + gg + ".weight", w, case["gguf_type"])
    gguf_ref.write_gguf(path, kvs, tensors, 32)


def q8_0_values(w):
    """What a Q8_0 tensor of w holds: blocks of 32 as fp16 d, 32 int8 q; x = d q."""
    raw = formats_ref.q8_0(w.astype(np.float32).ravel())
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 34)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float64)
    q = blocks[:, 2:].copy().view(np.int8).astype(np.float64)
    return (d * q).reshape(w.shape)


def main():
    global V
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True, choices=sorted(CASES))
    ap.add_argument("--dir", required=True)
    ap.add_argument("--vocab", type=int, default=V, help="vocabulary size (embedding rows)")
    args = ap.parse_args()
    V = args.vocab
    case = CASES[args.case]
    rng = np.random.default_rng(case["seed"])
    st, W = make_checkpoint(case, rng)
    os.makedirs(args.dir, exist_ok=True)
    with open(os.path.join(args.dir, "config.json"), "w") as f:
        json.dump(config_json(case), f)
    write_safetensors(os.path.join(args.dir, "model.safetensors"), st)
    write_direct_gguf(case, W, os.path.join(args.dir, "direct.gguf"))
    ternary = case["weights"] != "float"
    if case["gguf_type"] == "q8_0":
        # The direct file holds the Q8_0 weights: the reference runs those.
        # (Q/K permutation commutes with this: Q8_0 blocks lie within rows.)
        for l in range(L):
            for hf, _, _, _ in PROJ:
                name = f"model.layers.{l}.{hf}.weight"
                W[name] = q8_0_values(W[name])
    ref = {"prompt": PROMPT}
    paths = ["float", "ternary"] if ternary else ["float"]
    for path in paths:
        logits, margin = forward_with_margin(case, W, PROMPT, path == "ternary")
        np.save(os.path.join(args.dir, f"logits_{path}.npy"), logits.astype("<f4"))
        ref[f"margin_{path}"] = [float(min(m, 1.0)) for m in margin]
        ref[f"greedy_{path}"], ref[f"greedy_{path}_reliable"] = greedy(case, W, path == "ternary")
    with open(os.path.join(args.dir, "ref.json"), "w") as f:
        json.dump(ref, f)


if __name__ == "__main__":
    main()
