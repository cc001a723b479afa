#!/usr/bin/python3
"""Independent NumPy encoders for lowbit's format tests.

Writes, under golden/, the f32 inputs (formats_<fmt>_input.f32, raw little
endian) and the bytes that ggml / bitnet.cpp would produce for them
(formats_<fmt>.bin); for Q6_K (read-only in lowbit) a random block and its
dequantized values (formats_q6_k.bin, formats_q6_k_output.f32).
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


if __name__ == "__main__":
    main()
