#!/usr/bin/env python3
"""Independent NumPy forward pass of a tiny BitNet b1.58 model (2B4T
architecture: RMSNorm, rope NEOX, GQA, attn_sub_norm, relu^2 gated FFN,
ffn_sub_norm, tied output). Weights are ternary values times a power-of-two
scale, so the same file serves the float path (plain matmul) and the
ternary path (per-token int8 absmax activations, W1.58 x A8).

Writes tests/reference/golden/bitnet_tiny/*.npy: every weight under its GGUF
name, the token ids (as f32) and the logits of both paths for every token.
Run: /usr/bin/python3 tests/reference/bitnet_ref.py

With --dir DIR it instead reads DIR/config.json (V, D, L, NH, NKV, HD, FF,
theta, eps, tokens) and DIR/<tensor>.npy, written by a C++ test, and writes
DIR/logits_float.npy and DIR/logits_ternary.npy.
"""
import json
import os
import sys
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "bitnet_tiny")
V, D, L, NH, NKV, HD, FF = 32, 32, 2, 4, 2, 8, 48
THETA, EPS = 10000.0, 1e-5
TOKENS = [1, 5, 9, 3, 7, 2, 30]


def round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def rms_norm(x, w):
    return x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + EPS) * w


def rope(x, n_heads):
    T = x.shape[0]
    x = x.reshape(T, n_heads, HD).copy()
    half = HD // 2
    freq = THETA ** (-2.0 * np.arange(half) / HD)
    ang = np.arange(T)[:, None] * freq[None, :]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[:, :, :half].copy(), x[:, :, half:].copy()
    x[:, :, :half] = a * c - b * s
    x[:, :, half:] = a * s + b * c
    return x.reshape(T, n_heads * HD)


def make_linear(ternary):
    def lin(x, w):
        if not ternary:
            return x @ w.T
        s = np.abs(w).max()  # weights are {-s, 0, s}: the scale is the max
        wt = np.round(w / s)
        gamma = np.abs(x).max(axis=1, keepdims=True)
        xq = np.clip(round_half_away(127.0 * x / gamma), -128, 127)
        return (xq @ wt.T) * s * gamma / 127.0
    return lin


def forward(wts, ternary):
    lin = make_linear(ternary)
    T = len(TOKENS)
    x = wts["token_embd.weight"][TOKENS].astype(np.float64)
    for l in range(L):
        p = f"blk.{l}."
        h = rms_norm(x, wts[p + "attn_norm.weight"])
        q = rope(lin(h, wts[p + "attn_q.weight"]), NH)
        k = rope(lin(h, wts[p + "attn_k.weight"]), NKV)
        v = lin(h, wts[p + "attn_v.weight"])
        att = np.zeros((T, NH * HD))
        for hh in range(NH):
            kh = hh // (NH // NKV)
            sc = q[:, hh * HD:(hh + 1) * HD] @ k[:, kh * HD:(kh + 1) * HD].T / np.sqrt(HD)
            sc += np.triu(np.full((T, T), -np.inf), 1)
            pr = np.exp(sc - sc.max(axis=1, keepdims=True))
            pr /= pr.sum(axis=1, keepdims=True)
            att[:, hh * HD:(hh + 1) * HD] = pr @ v[:, kh * HD:(kh + 1) * HD]
        att = rms_norm(att, wts[p + "attn_sub_norm.weight"])
        x = x + lin(att, wts[p + "attn_output.weight"])
        h = rms_norm(x, wts[p + "ffn_norm.weight"])
        g = lin(h, wts[p + "ffn_gate.weight"])
        f = np.maximum(g, 0) ** 2 * lin(h, wts[p + "ffn_up.weight"])
        f = rms_norm(f, wts[p + "ffn_sub_norm.weight"])
        x = x + lin(f, wts[p + "ffn_down.weight"])
    x = rms_norm(x, wts["output_norm.weight"])
    return x @ wts["token_embd.weight"].T


def run_dir(d):
    global V, D, L, NH, NKV, HD, FF, THETA, EPS, TOKENS
    cfg = json.load(open(os.path.join(d, "config.json")))
    V, D, L, NH, NKV, HD, FF = (cfg[k] for k in ("V", "D", "L", "NH", "NKV", "HD", "FF"))
    THETA, EPS, TOKENS = cfg["theta"], cfg["eps"], cfg["tokens"]
    w64 = {}
    for f in os.listdir(d):
        if f.endswith(".npy") and not f.startswith("logits"):
            w64[f[:-4]] = np.load(os.path.join(d, f)).astype(np.float64)
    np.save(os.path.join(d, "logits_float.npy"), forward(w64, False).astype("<f4"))
    np.save(os.path.join(d, "logits_ternary.npy"), forward(w64, True).astype("<f4"))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--dir":
        run_dir(sys.argv[2])
        return
    rng = np.random.default_rng(2026)

    def ternary(rows, cols, scale):
        return (rng.integers(-1, 2, size=(rows, cols)) * scale).astype(np.float32)

    def norm(n):
        return (1.0 + 0.25 * rng.standard_normal(n)).astype(np.float32)

    wts = {"token_embd.weight": (rng.standard_normal((V, D)) * 0.5).astype(np.float32),
           "output_norm.weight": norm(D)}
    for l in range(L):
        p = f"blk.{l}."
        wts[p + "attn_norm.weight"] = norm(D)
        wts[p + "attn_sub_norm.weight"] = norm(NH * HD)
        wts[p + "ffn_norm.weight"] = norm(D)
        wts[p + "ffn_sub_norm.weight"] = norm(FF)
        wts[p + "attn_q.weight"] = ternary(NH * HD, D, 0.25)
        wts[p + "attn_k.weight"] = ternary(NKV * HD, D, 0.25)
        wts[p + "attn_v.weight"] = ternary(NKV * HD, D, 0.125)
        wts[p + "attn_output.weight"] = ternary(D, NH * HD, 0.0625)
        wts[p + "ffn_gate.weight"] = ternary(FF, D, 0.125)
        wts[p + "ffn_up.weight"] = ternary(FF, D, 0.125)
        wts[p + "ffn_down.weight"] = ternary(D, FF, 0.0625)
    w64 = {k: v.astype(np.float64) for k, v in wts.items()}
    os.makedirs(OUT, exist_ok=True)
    for name, a in wts.items():
        np.save(os.path.join(OUT, name + ".npy"), a.astype("<f4"))
    np.save(os.path.join(OUT, "tokens.npy"), np.array(TOKENS, dtype="<f4"))
    np.save(os.path.join(OUT, "logits_float.npy"), forward(w64, False).astype("<f4"))
    np.save(os.path.join(OUT, "logits_ternary.npy"), forward(w64, True).astype("<f4"))


if __name__ == "__main__":
    main()
