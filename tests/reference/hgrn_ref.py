#!/usr/bin/python3
"""Independent NumPy reference for lowbit's `hgrn-bit` family (the MatMul-free
LM, matmulfreellm's HGRNBitForCausalLM; docs/MATH.md S6).

Writes into --dir a tiny random checkpoint in the exact Hugging Face layout
of MMfreeLM (config.json with HGRNBitConfig's key names, model.safetensors
with HGRNBitForCausalLM's parameter names, full-precision latent weights;
tokenizer.json: the SentencePiece-style BPE of tests/reference/spm_ref.py),
and, from a float64 forward pass written from the Python model code:
  ref.json     prompt, greedy continuation (+ how many steps are beyond a
               near-tie), per-token distance to an int8 rounding tie
  logits.npy   logits [T, V] of every prompt token

Every projection is a FusedBitLinear: RMSNorm (eps 1e-6) with its own weight,
per-token int8 absmax (round half away from zero, as Triton's round), and the
absmean-ternarized latent weight (torch.round: half to even). The token
mixer: f = sigmoid(BL_f), lower bound lb + (1 - lb) f with lb from the
softmax/cumsum of model.lower_bounds, i = silu(BL_i) (1 - f), h = f h + i,
y = RMSNorm(BL_g) * g_norm * swish(h); the MLP is swiglu over gate_proj's
two halves. The head is a FusedBitLinear too.

Run: /usr/bin/python3 tests/reference/hgrn_ref.py --dir DIR [--case NAME]
Cases: mmfree (untied, lower bounds, intermediate_size from hidden_ratio),
tied (tie_word_embeddings, no lower bounds, explicit intermediate_size).
"""
import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import formats_ref  # noqa: E402  (round_half_away)
from family_ref import PROMPT, greedy_continuation, write_safetensors  # noqa: E402  (the same prompt and greedy rule)

V, D, L, NH = 640, 128, 3, 2
EPS = 1e-6       # rms_norm_eps (the model's norms and g_norm)
PROJ_EPS = 1e-6  # layer_norm_linear_quant_fn's default, inside every FusedBitLinear

CASES = {
    "mmfree": dict(tied=False, lower_bound=True, ff=None, hidden_ratio=3, seed=37),
    "tied": dict(tied=True, lower_bound=False, ff=256, hidden_ratio=4, seed=22),
}


def ff_of(case):
    if case["ff"]:
        return case["ff"]
    f = int(D * case["hidden_ratio"] * 2 / 3)  # HGRNBitMLP's default
    return 256 * ((f + 256 - 1) // 256)


def latent(rng, rows, cols):
    """Latent weights with mean |w| exactly 2^-5 (so the ternary scale is
    exact in f16 and in the I2_S trailer) and values on both sides of each
    rounding threshold and on the ties 0.5 / 1.5 (half to even: 0 and 2)."""
    mags = np.resize(np.array([0.25, 1.75, 0.5, 1.5, 0.75, 1.25, 1.0, 1.0]), rows * cols)
    w = rng.permutation(mags) * rng.choice([-1.0, 1.0], rows * cols) / 32
    return w.reshape(rows, cols).astype(np.float32)


def make_checkpoint(case, rng):
    F = ff_of(case)
    st, W = {}, {}

    def add(name, a):
        a = np.asarray(a, dtype=np.float32)
        st[name] = ("F32", a.shape, a.tobytes())
        W[name] = a.astype(np.float64)

    def norm_w(n):
        return 1.0 + 0.25 * rng.standard_normal(n)

    # Embedding rows exact in f16 (convert writes token_embd as F16).
    add("model.embeddings.weight", (rng.standard_normal((V, D)) * 0.5).astype(np.float16))
    if case["lower_bound"]:
        add("model.lower_bounds", rng.standard_normal((L, D)))
    for l in range(L):
        p = f"model.layers.{l}."
        add(p + "attn_norm.weight", norm_w(D))
        add(p + "mlp_norm.weight", norm_w(D))
        add(p + "attn.g_norm.weight", norm_w(D))
        for name, rows, cols in (("attn.i_proj", D, D), ("attn.f_proj", D, D), ("attn.g_proj", D, D),
                                 ("attn.o_proj", D, D), ("mlp.gate_proj", 2 * F, D), ("mlp.down_proj", D, F)):
            add(p + name + ".weight", latent(rng, rows, cols))
            add(p + name + ".norm.weight", norm_w(cols))
    add("model.norm.weight", norm_w(D))
    if not case["tied"]:
        add("lm_head.weight", latent(rng, V, D))
    add("lm_head.norm.weight", norm_w(D))
    return st, W


def config_json(case):
    return {"architectures": ["HGRNBitForCausalLM"], "attn_mode": "fused_recurrent", "bos_token_id": 1,
            "conv_size": 4, "eos_token_id": 2, "expand_ratio": 1, "fuse_cross_entropy": True, "hidden_act": "swish",
            "hidden_ratio": case["hidden_ratio"], "hidden_size": D, "initializer_range": 0.02,
            "intermediate_size": case["ff"], "max_position_embeddings": 2048, "model_type": "hgrn_bit",
            "num_heads": NH, "num_hidden_layers": L, "rms_norm_eps": EPS, "share_conv_kernel": True,
            "tie_word_embeddings": case["tied"], "torch_dtype": "float32", "transformers_version": "4.40.2",
            "use_cache": True, "use_lower_bound": case["lower_bound"], "use_short_conv": False, "vocab_size": V}


# ---------------------------------------------------------------- forward

MARGIN = None


def rms_norm(x, w, eps):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps) * w


def weight_quant(w):
    """ops/fusedbitnet.py weight_quant, in float32 as torch computes it."""
    w32 = w.astype(np.float32)
    iscale = np.float32(1.0) / np.maximum(np.float32(np.mean(np.abs(w32), dtype=np.float64)), np.float32(1e-5))
    q = np.clip(np.round(w32 * iscale), -1, 1)  # np.round: half to even, as torch.round
    return q.astype(np.float64), 1.0 / float(iscale)


def bit_linear(x, w, norm):
    """FusedBitLinear: RMSNorm inside, int8 absmax per token, ternary weight."""
    global MARGIN
    r = rms_norm(x, norm, PROJ_EPS)
    gamma = np.maximum(np.abs(r).max(axis=1, keepdims=True), 1e-5)
    v = 127.0 * r / gamma
    a = np.abs(v)
    m = np.abs(a - np.floor(a) - 0.5).min(axis=1)
    MARGIN = m if MARGIN is None else np.minimum(MARGIN, m)
    xq = np.clip(formats_ref.round_half_away(v), -128, 127)
    q, s = weight_quant(w)
    return (xq @ q.T) * s * gamma / 127.0


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lower_bounds(W):
    if "model.lower_bounds" not in W:
        return None
    lb = W["model.lower_bounds"]
    e = np.exp(lb - lb.max(axis=0, keepdims=True))
    sm = e / e.sum(axis=0, keepdims=True)
    return np.cumsum(sm, axis=0) - sm[0]


def forward(case, W, tokens):
    F = ff_of(case)
    lbs = lower_bounds(W)
    x = W["model.embeddings.weight"][tokens]
    T = len(tokens)
    for l in range(L):
        p = f"model.layers.{l}."
        bl = lambda h, n: bit_linear(h, W[p + n + ".weight"], W[p + n + ".norm.weight"])  # noqa: E731
        a = rms_norm(x, W[p + "attn_norm.weight"], EPS)
        i, f, g = bl(a, "attn.i_proj"), bl(a, "attn.f_proj"), bl(a, "attn.g_proj")
        f = sigmoid(f)
        if lbs is not None and l > 0:
            f = lbs[l] + (1 - lbs[l]) * f
        i = i * sigmoid(i) * (1 - f)
        h = np.zeros(D)
        o = np.zeros((T, D))
        for t in range(T):  # ops/hgrn/naive.py
            h = f[t] * h + i[t]
            o[t] = h
        y = rms_norm(g, W[p + "attn.g_norm.weight"], EPS) * o * sigmoid(o)
        x = x + bl(y, "attn.o_proj")
        m = rms_norm(x, W[p + "mlp_norm.weight"], EPS)
        u = bl(m, "mlp.gate_proj")
        gate, up = u[:, :F], u[:, F:]
        x = x + bl(gate * sigmoid(gate) * up, "mlp.down_proj")
    x = rms_norm(x, W["model.norm.weight"], EPS)
    head = W["model.embeddings.weight"] if case["tied"] else W["lm_head.weight"]
    return bit_linear(x, head, W["lm_head.norm.weight"])


def forward_with_margin(case, W, tokens):
    global MARGIN
    MARGIN = None
    logits = forward(case, W, tokens)
    return logits, MARGIN


def greedy(case, W):
    return greedy_continuation(lambda toks: forward_with_margin(case, W, toks))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--case", default="mmfree", choices=sorted(CASES))
    ap.add_argument("--drop", action="append", default=[], help="leave this tensor out of the checkpoint")
    args = ap.parse_args()
    case = CASES[args.case]
    rng = np.random.default_rng(case["seed"])
    st, W = make_checkpoint(case, rng)
    os.makedirs(args.dir, exist_ok=True)
    with open(os.path.join(args.dir, "config.json"), "w") as f:
        json.dump(config_json(case), f)
    write_safetensors(os.path.join(args.dir, "model.safetensors"),
                      {k: v for k, v in st.items() if k not in args.drop})
    with open(os.path.join(HERE, "golden", "tokenizer_spm.json")) as f:
        tok = json.load(f)["hf_tokenizer"]
    with open(os.path.join(args.dir, "tokenizer.json"), "w") as f:
        json.dump(tok, f)
    logits, margin = forward_with_margin(case, W, PROMPT)
    np.save(os.path.join(args.dir, "logits.npy"), logits.astype("<f4"))
    g, reliable = greedy(case, W)
    ref = {"prompt": PROMPT, "margin": [float(min(m, 1.0)) for m in margin], "greedy": g,
           "greedy_reliable": reliable}
    with open(os.path.join(args.dir, "ref.json"), "w") as f:
        json.dump(ref, f)


if __name__ == "__main__":
    main()
