"""The NumPy functions against NumPy implementations of the formulas."""
import numpy as np
import pytest

import lowbit

rng = np.random.default_rng(0)


def round_half_away(v):
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def test_quant_int8_absmax():
    x = rng.standard_normal((3, 100)).astype(np.float32)
    q, gamma, step, passed = lowbit.quant_int8_absmax(x)
    g = np.abs(x).max(1).astype(np.float64)
    expect = np.clip(round_half_away(x * (127.0 / g)[:, None]), -128, 127)
    assert q.dtype == np.int8 and np.array_equal(q, expect)
    assert np.array_equal(gamma, g.astype(np.float32)) and np.allclose(step, g / 127)
    assert passed.all()


def test_quant_int4_absmean_clips_and_masks():
    x = rng.standard_normal((2, 64)).astype(np.float32)
    x[0, 0] = 40.0  # far outside [-8, 7] steps: clipped, no gradient
    q, beta, step, passed = lowbit.quant_int4_absmean(x)
    b = np.abs(x.astype(np.float64)).mean(1)
    v = round_half_away(x * (np.sqrt(7) / b)[:, None])
    assert np.array_equal(q, np.clip(v, -8, 7))
    assert np.array_equal(passed.astype(bool), np.abs(np.clip(v, -8, 7) - v) < 0.5)
    assert passed[0, 0] == 0


def test_quant_absmax_signed_eps_margin():
    x = rng.standard_normal((2, 50)).astype(np.float32)
    q, gamma, step, _ = lowbit.quant_absmax_signed(x, bits=8)
    v = np.clip(round_half_away(x * (128.0 / np.abs(x).max(1))[:, None]), -128 + 1e-5, 128 - 1e-5)
    np.testing.assert_allclose(q, v, rtol=0, atol=1e-5)


def test_weight_quantizers():
    w = rng.standard_normal((8, 32)).astype(np.float32)
    q, s = lowbit.ternarize_absmean(w)
    s_ref = np.abs(w.astype(np.float64)).mean()
    assert np.isclose(s, s_ref, rtol=1e-6)
    assert np.array_equal(q, np.clip(round_half_away(w / (s_ref + 1e-5)), -1, 1))
    sign, alpha, beta = lowbit.binarize_weights(w, groups=2)
    for g in range(2):
        wg = w[4 * g:4 * g + 4].astype(np.float64)
        assert np.isclose(alpha[g], wg.mean(), rtol=1e-5) and np.isclose(beta[g], np.abs(wg).mean(), rtol=1e-6)
        assert np.array_equal(sign[4 * g:4 * g + 4], np.where(wg - wg.mean() > 0, 1, -1))
    cb, scb = lowbit.quantize_int8_rows(w)
    assert np.allclose(scb, np.abs(w).max(1))
    assert np.array_equal(cb, round_half_away(127 * w / np.abs(w).max(1, keepdims=True)))


@pytest.mark.parametrize("fmt,block,block_bytes,trailer", [("tq2_0", 256, 66, 0), ("tq1_0", 256, 54, 0),
                                                          ("i2_s", 128, 32, 32)])
def test_pack_unpack_round_trip(fmt, block, block_bytes, trailer):
    n = 4 * 256
    t = rng.integers(-1, 2, n).astype(np.float32)
    v = t * np.float32(0.375)  # a scale exact in fp16
    data = lowbit.pack(fmt, v)
    assert data.dtype == np.uint8 and data.size == n // block * block_bytes + trailer
    assert np.array_equal(lowbit.unpack(fmt, data, n), v)


def test_tq2_0_layout():
    # ggml's TQ2_0: qs[64] then fp16 d; element j of the block is in byte
    # (j % 32) + 32 * (j // 128), at bit 2 * ((j // 32) % 4), code t + 1.
    t = rng.integers(-1, 2, 256)
    data = lowbit.pack("tq2_0", t.astype(np.float32))
    expect = np.zeros(64, np.uint8)
    for j in range(256):
        expect[(j % 32) + 32 * (j // 128)] |= (t[j] + 1) << (2 * ((j // 32) % 4))
    assert np.array_equal(data[:64], expect)
    assert data[64:66].view(np.float16)[0] == 1.0


def test_ternary_matmul_matches_the_kernel_formula():
    w = rng.integers(-1, 2, (12, 512)).astype(np.int8)
    x = rng.standard_normal((3, 512)).astype(np.float32)
    y = lowbit.ternary_matmul(w, 0.5, x)
    gamma = np.abs(x).max(1).astype(np.float64)
    xq = np.clip(round_half_away(127.0 * x.astype(np.float64) / gamma[:, None]), -128, 127)
    acc = xq @ w.T.astype(np.float64)
    expect = acc.astype(np.float32) * (np.float32(0.5) * (gamma.astype(np.float32) / np.float32(127)))[:, None]
    np.testing.assert_allclose(y, expect, rtol=2e-7, atol=0)
    packed = lowbit.pack("tq2_0", (w.astype(np.float32) * np.float32(0.5)).ravel())
    assert np.array_equal(lowbit.ternary_matmul_packed("tq2_0", packed, 12, 512, x), y)


def test_bad_arrays_raise_clear_errors():
    with pytest.raises(TypeError, match="float32"):
        lowbit.quant_int8_absmax(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="C-contiguous"):
        lowbit.quant_int8_absmax(np.zeros((4, 2), np.float32).T)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        lowbit.quant_int8_absmax([1.0, 2.0])
    with pytest.raises(ValueError, match="multiple of 256"):
        lowbit.pack("tq2_0", np.zeros(100, np.float32))
    with pytest.raises(ValueError, match="one of"):
        lowbit.pack("q4_0", np.zeros(256, np.float32))
    with pytest.raises(ValueError, match="-1, 0 or \\+1"):
        lowbit.ternary_matmul(np.full((4, 128), 2, np.int8), 1.0, np.zeros((1, 128), np.float32))
