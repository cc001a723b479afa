#!/usr/bin/env python3
"""Independent NumPy reference for S2 attention (rope, GQA, causal mask,
temperature, float residual) with float projections. Writes the golden
.npy files that tests/nn/attention_test.cpp compares against.

Run: /usr/bin/python3 tests/reference/attention_ref.py   (from the repo root)
"""
import os
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
T, D, NH, NKV, HD = 5, 16, 4, 2, 4
THETA = 10000.0


def rope(x, n_heads, style):
    """x [T, n_heads*HD]; position of row t is t."""
    x = x.reshape(x.shape[0], n_heads, HD).astype(np.float64).copy()
    half = HD // 2
    freq = THETA ** (-2.0 * np.arange(half) / HD)
    out = x.copy()
    for t in range(x.shape[0]):
        ang = t * freq
        c, s = np.cos(ang), np.sin(ang)
        if style == "neox":
            a, b = x[t, :, :half], x[t, :, half:]
            out[t, :, :half] = a * c - b * s
            out[t, :, half:] = a * s + b * c
        else:
            a, b = x[t, :, 0::2], x[t, :, 1::2]
            out[t, :, 0::2] = a * c - b * s
            out[t, :, 1::2] = a * s + b * c
    return out.reshape(x.shape[0], n_heads * HD)


def attention(x, wq, wk, wv, wo, style, temp, causal=True, residual=True):
    q = rope(x @ wq.T, NH, style)
    k = rope(x @ wk.T, NKV, style)
    v = x @ wv.T
    ctx = np.zeros((T, NH * HD))
    group = NH // NKV
    for h in range(NH):
        kh = h // group
        qh = q[:, h * HD:(h + 1) * HD]
        khm = k[:, kh * HD:(kh + 1) * HD]
        vh = v[:, kh * HD:(kh + 1) * HD]
        s = qh @ khm.T / (np.sqrt(HD) * temp)
        if causal:
            s = s + np.triu(np.full((T, T), -np.inf), 1)
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s)
        p /= p.sum(axis=1, keepdims=True)
        ctx[:, h * HD:(h + 1) * HD] = p @ vh
    y = ctx @ wo.T
    return y + x if residual else y


def main():
    rng = np.random.default_rng(20261125)
    x = rng.standard_normal((T, D)).astype(np.float32)
    wq = (rng.standard_normal((NH * HD, D)) * 0.4).astype(np.float32)
    wk = (rng.standard_normal((NKV * HD, D)) * 0.4).astype(np.float32)
    wv = (rng.standard_normal((NKV * HD, D)) * 0.4).astype(np.float32)
    wo = (rng.standard_normal((D, NH * HD)) * 0.4).astype(np.float32)
    tensors = {"x": x, "wq": wq, "wk": wk, "wv": wv, "wo": wo}
    tensors["y_neox"] = attention(*[a.astype(np.float64) for a in (x, wq, wk, wv, wo)], "neox", 1.0)
    tensors["y_interleaved_t07"] = attention(*[a.astype(np.float64) for a in (x, wq, wk, wv, wo)], "interleaved", 0.7)
    tensors["y_neox_nocausal_nores"] = attention(*[a.astype(np.float64) for a in (x, wq, wk, wv, wo)], "neox", 1.0,
                                                 causal=False, residual=False)
    tensors["rope_neox"] = rope(x, NH, "neox")
    tensors["rope_interleaved"] = rope(x, NH, "interleaved")
    os.makedirs(OUT, exist_ok=True)
    for name, a in tensors.items():
        np.save(os.path.join(OUT, f"attention_{name}.npy"), np.ascontiguousarray(a, dtype="<f4"))


if __name__ == "__main__":
    main()
