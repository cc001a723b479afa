#!/usr/bin/python3
"""Independent NumPy encoders for lowbit's format tests.

Writes, under golden/, the f32 inputs (formats_<fmt>_input.f32, raw little
endian) and the bytes that ggml / bitnet.cpp would produce for them
(formats_<fmt>.bin); for Q6_K a random block and its dequantized values
(formats_q6_k.bin, formats_q6_k_output.f32). The head formats (issue 18):
Q4_0 and Q6_K encodings of an f32 input by ggml's reference quantizers
(quantize_row_q4_0_ref, quantize_row_q6_K_ref with make_qx_quants), every
step in float32 in ggml's order (sequential sums), and a head GEMV case per
format (formats_head_<fmt>_{w.bin,x.f32,y.f32,xq.bin}; every head kernel
takes int8 activations: for Q8_0/Q4_0 x's Q8_0 blocks and ggml's vec_dot,
the sum over blocks of d_w d_x times the integer dot; for Q6_K x's Q8_K
blocks (f32 d = absmax / 127, 256 codes rounded half away from zero, the
16 sums of 16 codes) and the sum over blocks of d_w d_x times
sum_g sc_g sum_(i in g) (c_i - 32) x_i).
Written from the layouts in docs/FORMATS.md, vectorised, without looking at
the C++ code. Run: /usr/bin/python3 tests/reference/formats_ref.py
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
rng = np.random.default_rng(20261125)


def round_half_away(v):
    v = np.asarray(v, dtype=np.float64)
    return (np.sign(v) * np.floor(np.abs(v) + 0.5)).astype(np.int64)


def fp16_bytes(d):
    return np.array([d], dtype=np.float32).astype(np.float16).tobytes()


def ternary_input(nblocks, block, scale):
    t = rng.integers(-1, 2, size=nblocks * block)
    x = (t * np.float32(scale)).astype(np.float32)
    x[-block:] = 0.0  # the last block is all zero: d = 0
    return x


def block_codes(x):
    """ggml: d = absmax (f32), codes round(x * (1/d)) + 1 with the f32 reciprocal."""
    d = np.float32(np.max(np.abs(x)))
    inv = np.float32(1.0) / d if d != 0 else np.float32(0.0)
    return d, round_half_away(x * inv) + 1


def tq2_0(x):
    out = bytearray()
    for blk in x.reshape(-1, 256):
        d, t = block_codes(blk)
        # byte 32c+m holds element 128c + 32l + m in bits 2l+1:2l
        g = t.reshape(2, 4, 32)
        qs = (g[:, 0] | g[:, 1] << 2 | g[:, 2] << 4 | g[:, 3] << 6).astype(np.uint8)
        out += qs.tobytes() + fp16_bytes(d)
    return bytes(out)


def tq1_0(x):
    out = bytearray()
    w5 = np.array([81, 27, 9, 3, 1])
    for blk in x.reshape(-1, 256):
        d, t = block_codes(blk)
        a = t[:160].reshape(5, 32)        # trit n of byte m = element 32n + m
        b = t[160:240].reshape(5, 16)     # element 160 + 16n + m
        c = t[240:].reshape(4, 4)         # element 240 + 4n + j, top 4 trits
        qa = w5 @ a
        qb = w5 @ b
        qc = (w5[1:] @ c) * 3          # weights 27, 9, 3, 1, then one trit up
        enc = lambda q: ((q * 256 + 242) // 243).astype(np.uint8)
        out += enc(qa).tobytes() + enc(qb).tobytes() + enc(qc).tobytes() + fp16_bytes(d)
    return bytes(out)


def i2_s(x):
    s = np.float32(np.max(np.abs(x.astype(np.float64))))
    t = np.where(np.abs(x) < 1e-6, 1, np.where(x > 0, 2, 0))
    g = t.reshape(-1, 4, 32)  # block, group (32 elements), position
    qs = (g[:, 0] << 6 | g[:, 1] << 4 | g[:, 2] << 2 | g[:, 3]).astype(np.uint8)
    return qs.tobytes() + np.array([s], dtype="<f4").tobytes() + bytes(28)


def q8_0(x):
    out = bytearray()
    for blk in x.reshape(-1, 32):
        amax = np.float32(np.max(np.abs(blk)))
        d = np.float32(amax / np.float32(127))
        inv = np.float32(1.0) / d if d != 0 else np.float32(0.0)
        q = round_half_away((blk * inv).astype(np.float32)).astype(np.int8)
        out += fp16_bytes(d) + q.tobytes()
    return bytes(out)


def q8_k(x):
    out = bytearray()
    for blk in x.reshape(-1, 256):
        amax = np.float32(np.max(np.abs(blk)))
        d = np.float32(amax / np.float32(127))
        inv = np.float32(1.0) / d if d != 0 else np.float32(0.0)
        q = round_half_away((blk * inv).astype(np.float32)).astype(np.int8)
        sums = q.astype(np.int64).reshape(16, 16).sum(axis=1).astype("<i2")
        out += np.array([d], dtype="<f4").tobytes() + q.tobytes() + sums.tobytes()
    return bytes(out)


def q6_k_block_and_values():
    ql = rng.integers(0, 256, 128, dtype=np.uint8)
    qh = rng.integers(0, 256, 64, dtype=np.uint8)
    sc = rng.integers(-128, 128, 16).astype(np.int8)
    d = np.float16(0.0123)
    y = np.zeros(256, dtype=np.float32)
    for half in range(2):
        l = np.arange(32)
        L, H, S = ql[64 * half:64 * half + 64].astype(np.int64), qh[32 * half:32 * half + 32].astype(np.int64), \
            sc[8 * half:8 * half + 8].astype(np.int64)
        for i in range(4):
            low = (L[l + 32 * (i % 2)] >> (4 * (i // 2))) & 0xF
            q = (low | ((H[l] >> (2 * i)) & 3) << 4) - 32
            scale = S[l // 16 + 2 * i]
            y[128 * half + 32 * i + l] = np.float32(d) * scale.astype(np.float32) * q.astype(np.float32)
    return ql.tobytes() + qh.tobytes() + sc.tobytes() + d.tobytes(), y


def f32(v):
    return np.float32(v)


def nearest_int(v):
    """ggml's nearest_int: round half to even."""
    return int(np.rint(np.float32(v)))


def seq_sum(terms):
    """Sequential float32 sum (ggml's loop order), not NumPy's pairwise one."""
    acc = np.float32(0)
    for t in terms:
        acc = np.float32(acc + np.float32(t))
    return acc


def q4_0(x):
    out = bytearray()
    for blk in x.reshape(-1, 32).astype(np.float32):
        i = int(np.argmax(np.abs(blk)))  # first index of the largest magnitude
        mx = blk[i] if np.abs(blk[i]) > 0 else np.float32(0)
        d = np.float32(mx / np.float32(-8))
        inv = np.float32(1) / d if d != 0 else np.float32(0)
        # x * (1/d) + 8.5 rounded once (llama.cpp's builds fuse it into an FMA): exact in float64, then to float32
        fused = (blk.astype(np.float64) * np.float64(inv) + 8.5).astype(np.float32)
        q = np.minimum(15, np.trunc(fused).astype(np.int64))
        out += fp16_bytes(d) + (q[:16] | (q[16:] << 4)).astype(np.uint8).tobytes()
    return bytes(out)


def q4_0_fma_sensitive_block():
    """A block whose codes differ when x * (1/d) is rounded before the + 8.5
    (so the golden pins the single rounding)."""
    r = np.random.default_rng(7)
    while True:
        blk = (r.standard_normal(32) * 0.02).astype(np.float32)
        i = int(np.argmax(np.abs(blk)))
        d = np.float32(blk[i] / np.float32(-8))
        inv = np.float32(1) / d
        twice = np.trunc((blk * inv).astype(np.float32) + np.float32(8.5))
        once = np.trunc((blk.astype(np.float64) * np.float64(inv) + 8.5).astype(np.float32))
        if np.any(twice != once):
            return blk


def q6_fit(x):
    """make_qx_quants(16, 32, x, L, 1, NULL): codes 0..63 and the scale."""
    nmax = 32
    amax, mx = np.float32(0), np.float32(0)
    for v in x:
        if abs(v) > amax:
            amax, mx = np.float32(abs(v)), v
    if amax < np.float32(1e-15):
        return np.float32(0), [0] * 16
    w = [np.float32(v * v) for v in x]

    def trial(iscale):
        ls = [min(nmax - 1, max(-nmax, nearest_int(np.float32(iscale * v)))) for v in x]
        slx = seq_sum(np.float32(np.float32(wi * v) * np.float32(l)) for wi, v, l in zip(w, x, ls))
        sl2 = seq_sum(np.float32(np.float32(wi * np.float32(l)) * np.float32(l)) for wi, l in zip(w, ls))
        return ls, slx, sl2

    ls, slx, sl2 = trial(np.float32(np.float32(-nmax) / mx))
    L = [l + nmax for l in ls]
    scale = np.float32(slx / sl2) if sl2 != 0 else np.float32(0)
    best = np.float32(scale * slx)
    for k in range(-9, 10):
        if k == 0:
            continue
        iscale = np.float32(-np.float32(np.float32(nmax) + np.float32(np.float32(0.1) * np.float32(k))) / mx)
        ls, slx, sl2 = trial(iscale)
        if sl2 > 0 and np.float32(slx * slx) > np.float32(best * sl2):
            L = [l + nmax for l in ls]
            scale = np.float32(slx / sl2)
            best = np.float32(scale * slx)
    return scale, L


def q6_k(x):
    out = bytearray()
    for blk in x.reshape(-1, 256).astype(np.float32):
        fits = [q6_fit(blk[16 * j:16 * j + 16]) for j in range(16)]
        scales = [f[0] for f in fits]
        L = np.array(sum((f[1] for f in fits), []), dtype=np.int64)
        max_scale, max_abs = np.float32(0), np.float32(0)
        for s in scales:
            if abs(s) > max_abs:
                max_abs, max_scale = np.float32(abs(s)), s
        if max_abs < np.float32(1e-15):
            out += bytes(210)
            continue
        iscale = np.float32(np.float32(-128) / max_scale)
        d16 = np.float32(np.float32(1) / iscale).astype(np.float16)
        sc = np.array([min(127, nearest_int(np.float32(iscale * s))) for s in scales], dtype=np.int64)
        for j in range(16):
            dj = np.float32(np.float32(d16) * np.float32(sc[j]))
            if dj == 0:
                continue
            for i in range(16):
                L[16 * j + i] = min(31, max(-32, nearest_int(np.float32(blk[16 * j + i] / dj)))) + 32
        ql, qh = bytearray(), bytearray()
        for half in range(2):
            g = L[128 * half:128 * half + 128].reshape(4, 32)  # element 32 i + l
            ql += ((g[0] & 0xF) | (g[2] & 0xF) << 4).astype(np.uint8).tobytes()
            ql += ((g[1] & 0xF) | (g[3] & 0xF) << 4).astype(np.uint8).tobytes()
            qh += ((g[0] >> 4) | (g[1] >> 4) << 2 | (g[2] >> 4) << 4 | (g[3] >> 4) << 6).astype(np.uint8).tobytes()
        out += bytes(ql) + bytes(qh) + sc.astype(np.int8).tobytes() + d16.tobytes()
    return bytes(out)


def q6_k_codes(blkraw):
    """The 256 unsigned codes (0..63) of one Q6_K block, in element order."""
    blk = np.frombuffer(blkraw, dtype=np.uint8)
    ql, qh = blk[:128].astype(np.int64), blk[128:192].astype(np.int64)
    c = np.zeros(256, dtype=np.int64)
    l = np.arange(32)
    for half in range(2):
        L, H = ql[64 * half:64 * half + 64], qh[32 * half:32 * half + 32]
        for i in range(4):
            low = (L[l + 32 * (i % 2)] >> (4 * (i // 2))) & 0xF
            c[128 * half + 32 * i + l] = low | ((H[l] >> (2 * i)) & 3) << 4
    return c


def head_inputs(rng2, rows, cols):
    """Rows like a trained embedding: normal, some outliers, a zero row."""
    w = (rng2.standard_normal((rows, cols)) * 0.02).astype(np.float32)
    w[1, :] = 0.0
    w[2, 5] = 0.5
    w[3, 40:56] = 0.0  # a zero sub-block inside a nonzero block
    x = rng2.standard_normal((2, cols)).astype(np.float32)
    return w, x


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    tern = ternary_input(3, 256, 0.0375)
    write("formats_ternary_input.f32", tern.astype("<f4").tobytes())
    write("formats_tq2_0.bin", tq2_0(tern))
    write("formats_tq1_0.bin", tq1_0(tern))
    write("formats_i2_s.bin", i2_s(tern))
    q8in = (rng.standard_normal(128) * 2.5).astype(np.float32)
    q8in[32:64] = 0.0  # a zero block
    write("formats_q8_0_input.f32", q8in.astype("<f4").tobytes())
    write("formats_q8_0.bin", q8_0(q8in))
    blk, y = q6_k_block_and_values()
    write("formats_q6_k.bin", blk)
    write("formats_q6_k_output.f32", y.astype("<f4").tobytes())
    # Head formats: their own generator, so the files above stay as they were.
    rng2 = np.random.default_rng(20261206)
    q4in = (rng2.standard_normal(256) * 1.5).astype(np.float32)
    q4in[32:64] = 0.0                  # a zero block
    q4in[64:96] = np.float32(0.75)     # ties: every element equal, the first is the max
    q4in[100] = -4.0                   # a negative extreme: d > 0
    q4in[140:172] = np.float32(1.0) / np.arange(1, 33, dtype=np.float32)  # codes at rounding edges
    q4in[192:224] = np.float32(-1.0) * (np.arange(32, dtype=np.float32) * np.float32(0.0625) + np.float32(0.03125))
    q4in[224:256] = q4_0_fma_sensitive_block()
    write("formats_q4_0_input.f32", q4in.astype("<f4").tobytes())
    write("formats_q4_0.bin", q4_0(q4in))
    q6in = (rng2.standard_normal(1024) * 0.05).astype(np.float32)
    q6in[256:512] = 0.0                # an all-zero block
    q6in[512:528] = 0.0                # a zero sub-block in a nonzero block
    q6in[600] = 1.25                   # an outlier sub-block
    q6in[768:1024] = np.round(q6in[768:1024] * 200) / 200  # values on a coarse grid: ties
    write("formats_q6_k_input.f32", q6in.astype("<f4").tobytes())
    write("formats_q6_k_enc.bin", q6_k(q6in))
    rows, cols = 8, 512
    w, x = head_inputs(rng2, rows, cols)
    for name, enc in (("q8_0", q8_0), ("q4_0", q4_0), ("q6_k", q6_k)):
        raw = b"".join(enc(w[r]) for r in range(rows))
        if name == "q6_k":  # Q8_K activations: per block d_w d_x sum_g sc_g (codes - 32) . x
            xq = b"".join(q8_k(x[t]) for t in range(x.shape[0]))
            xb = np.frombuffer(xq, dtype=np.uint8).reshape(-1, 292)
            dx = xb[:, :4].copy().view("<f4").astype(np.float64).reshape(x.shape[0], -1)
            qx = xb[:, 4:260].view(np.int8).astype(np.int64).reshape(x.shape[0], -1, 16, 16)
            wb = np.frombuffer(raw, dtype=np.uint8).reshape(rows, -1, 210)
            dw = wb[:, :, 208:210].copy().view(np.float16).astype(np.float64)[..., 0]
            sc = wb[:, :, 192:208].view(np.int8).astype(np.int64)  # [rows, blocks, 16]
            code = np.zeros((rows, cols // 256, 16, 16), dtype=np.int64)
            for r in range(rows):
                blkraw = raw[len(raw) // rows * r:len(raw) // rows * (r + 1)]
                for b in range(cols // 256):
                    code[r, b] = q6_k_codes(blkraw[210 * b:210 * b + 210]).reshape(16, 16)
            gdot = np.einsum("tbgk,rbgk->trbg", qx, code - 32)
            y = np.einsum("trbg,rbg,tb,rb->tr", gdot, sc, dx, dw)
            write(f"formats_head_{name}_xq.bin", xq)
        else:  # Q8_0 activations, as ggml's vec_dot_q8_0_q8_0 / q4_0_q8_0: sum of d_w d_x (q_w . q_x)
            xq = b"".join(q8_0(x[t]) for t in range(x.shape[0]))
            xb = np.frombuffer(xq, dtype=np.uint8).reshape(-1, 34)
            dx = xb[:, :2].copy().view(np.float16).astype(np.float64).reshape(x.shape[0], -1)
            qx = xb[:, 2:].view(np.int8).astype(np.int64).reshape(x.shape[0], -1, 32)
            bb = 34 if name == "q8_0" else 18
            wb = np.frombuffer(raw, dtype=np.uint8).reshape(rows, -1, bb)
            dw = wb[:, :, :2].copy().view(np.float16).astype(np.float64)[..., 0]
            if name == "q8_0":
                qw = wb[:, :, 2:].view(np.int8).astype(np.int64)
            else:
                qs = wb[:, :, 2:].astype(np.int64)
                qw = np.concatenate([qs & 0xF, qs >> 4], axis=-1) - 8
            y = np.einsum("tbk,rbk,tb,rb->tr", qx, qw, dx, dw)
            write(f"formats_head_{name}_xq.bin", xq)
        write(f"formats_head_{name}_w.bin", raw)
        write(f"formats_head_{name}_x.f32", x.astype("<f4").tobytes())
        write(f"formats_head_{name}_y.f32", y.astype("<f4").tobytes())


if __name__ == "__main__":
    main()
