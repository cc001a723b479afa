"""NumPy functions: the quantizers of docs/MATH.md (per row = per
token for activations), the ternary storage formats and the ternary GEMV.
Inputs must already be C-contiguous arrays of the named dtype."""
import numpy as np

from . import _lowbit
from ._checks import array


def quant_absmax_signed(x, bits=8):
    """S1 b-bit absmax: (q float32, gamma[rows], step[rows], pass[rows, cols])."""
    return _lowbit.quant_absmax_signed(array(x, "x", np.float32, (1, 2)), bits)


def quant_absmax_shifted(x, bits=8):
    """S1 shifted (x - min x) variant: (q float32, gamma, step, pass)."""
    return _lowbit.quant_absmax_shifted(array(x, "x", np.float32, (1, 2)), bits)


def quant_int8_absmax(x):
    """S4 / S3-a8 int8 absmax: (q int8, gamma, step, pass)."""
    return _lowbit.quant_int8_absmax(array(x, "x", np.float32, (1, 2)))


def quant_int4_absmean(x):
    """S3-a4 int4 absmean: (q int8 in [-8, 7], beta, step, pass)."""
    return _lowbit.quant_int4_absmean(array(x, "x", np.float32, (1, 2)))


def ternarize_absmean(w):
    """Absmean ternary weights: (q int8 in {-1, 0, 1}, scale)."""
    return _lowbit.ternarize_absmean(array(w, "w", np.float32, (1, 2)))


def binarize_weights(w, groups=1):
    """S1 binary weights: (sign int8 +-1, alpha[groups], beta[groups])."""
    return _lowbit.binarize_weights(array(w, "w", np.float32, (2,)), groups)


def quantize_int8_rows(w):
    """S5 row-wise int8: (CB int8, SCB[rows])."""
    return _lowbit.quantize_int8_rows(array(w, "w", np.float32, (2,)))


def pack(format, x):
    """Packs float32 values (ternary times a scale) as tq1_0, tq2_0 or i2_s bytes."""
    return _lowbit.pack(format, array(x, "x", np.float32))


def unpack(format, data, n):
    """Unpacks n float32 values from tq1_0, tq2_0 or i2_s bytes."""
    return _lowbit.unpack(format, array(data, "data", np.uint8, (1,)), n)


def ternary_matmul(w, scale, x):
    """y [T, out] = (w * scale) x through the ternary kernels (x quantized to
    int8 per token); w int8 [out, in] in {-1, 0, 1}, x float32 [T, in]."""
    return _lowbit.ternary_matmul(array(w, "w", np.int8, (2,)), float(scale), array(x, "x", np.float32, (1, 2)))


def ternary_matmul_packed(format, data, out, in_, x):
    """The same GEMV on a weight [out, in] stored in a GGUF format."""
    return _lowbit.ternary_matmul_packed(format, array(data, "data", np.uint8, (1,)), out, in_,
                                         array(x, "x", np.float32, (1, 2)))
