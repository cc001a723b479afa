"""Plain PyTorch implementations of the papers' formulas (docs/MATH.md),
written from the formulas, not from lowbit: the references the layers
are tested against. Straight-through estimators are written the usual
PyTorch way (x + (q(x) - x).detach()); the statistics (gamma, beta, alpha,
scale) are constants for the gradient. Computations in float64."""
import math

import torch

EPS = 1e-5  # the papers' epsilon, also the norms' epsilon


def round_half_away(v):
    return torch.sign(v) * torch.floor(v.abs() + 0.5)


def round_ste(v):
    """round() forward, identity backward."""
    return v + (round_half_away(v) - v).detach()


def layernorm(x):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + EPS)


def rmsnorm(x):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + EPS)


def hadamard(n):
    """Block-diagonal normalized Sylvester Hadamard matrix: blocks of the
    largest power of two dividing n."""
    b = n & -n
    h = torch.ones(1, 1, dtype=torch.float64)
    while h.shape[0] < b:
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    h = h / math.sqrt(b)
    return torch.block_diag(*([h] * (n // b)))


def absmean_ternary_ste(w):
    """BitNet b1.58: s = mean|W|, W~ = clip(round(W / (s + eps)), -1, 1) * s."""
    s = w.abs().mean().detach()
    q = torch.clamp(round_half_away(w / (s + EPS)), -1, 1) * s
    return w + (q - w).detach()


def int8_absmax_ste(h):
    """x~ = clip(round(127 x / gamma), -128, 127) * gamma / 127, gamma = max|x| per token."""
    gamma = h.abs().amax(-1, keepdim=True).detach()
    k = torch.where(gamma > 0, 127.0 / gamma, torch.zeros_like(gamma))
    q = torch.clamp(round_ste(h * k), -128, 127)
    return q * gamma / 127.0


def int4_absmean_ste(h):
    """BitNet v2 a4: beta = mean|x|, x~ = clip(round(sqrt(7) x / beta), -8, 7) * beta / sqrt(7)."""
    beta = h.abs().mean(-1, keepdim=True).detach()
    k = torch.where(beta > 0, math.sqrt(7.0) / beta, torch.zeros_like(beta))
    q = torch.clamp(round_ste(h * k), -8, 7)
    return q * beta / math.sqrt(7.0)


def bitlinear158(x, w, subln=False):
    x, w = x.double(), w.double()
    h = rmsnorm(x) if subln else x
    return int8_absmax_ste(h) @ absmean_ternary_ste(w).T


def hbitlinear(x, w, act_bits=8, subln=False):
    x, w = x.double(), w.double()
    h = rmsnorm(x) if subln else x
    h = h @ hadamard(x.shape[-1])
    hq = int4_absmean_ste(h) if act_bits == 4 else int8_absmax_ste(h)
    return hq @ absmean_ternary_ste(w).T


def bitlinear_v1(x, w, bits=8, groups=1, use_layernorm=True):
    """BitNet v1: LN, then Qb = 2^(b-1) absmax activations clipped to
    +-(Qb - eps); weights sign(W - alpha_g) * beta_g with alpha = mean W,
    beta = mean |W| per group of output rows (sign(0) = -1)."""
    x, w = x.double(), w.double()
    h = layernorm(x) if use_layernorm else x
    qb = 2.0 ** (bits - 1)
    gamma = h.abs().amax(-1, keepdim=True).detach()
    q = torch.clamp(round_ste(h * qb / gamma), -qb, qb)
    # The eps margin only nudges the extremes; it is not a clip for the STE.
    q = q + (torch.clamp(q, -qb + EPS, qb - EPS) - q).detach()
    xq = q * gamma / qb
    rows = w.shape[0] // groups
    parts = []
    for g in range(groups):
        wg = w[g * rows:(g + 1) * rows]
        alpha, beta = wg.mean().detach(), wg.abs().mean().detach()
        sign = torch.where(wg - alpha > 0, 1.0, -1.0).to(w.dtype)
        parts.append(wg + (sign * beta - wg).detach())
    return xq @ torch.cat(parts).T


def int8_linear(x, w, threshold=6.0):
    """LLM.int8: row-wise int8 W (SCB = max|W_row|, CB = round(127 W / SCB)),
    outlier columns (max over tokens of |x| >= threshold) in float against
    the dequantized weight, the rest per-token int8 absmax. The gradient is
    the float linear's with the dequantized weight (x treated as unquantized)."""
    x, w = x.double(), w.double()
    scb = w.abs().amax(-1, keepdim=True)
    cb = round_half_away(127.0 * w / torch.where(scb > 0, scb, torch.ones_like(scb)))
    w_deq = cb * scb / 127.0
    w_ste = w + (w_deq - w).detach()
    with torch.no_grad():
        outlier = (x.abs().amax(0) >= threshold) if threshold > 0 else torch.zeros(x.shape[1], dtype=torch.bool)
        xr = torch.where(outlier, torch.zeros_like(x), x)
        cx = xr.abs().amax(-1, keepdim=True)
        x8 = round_half_away(127.0 * xr / torch.where(cx > 0, cx, torch.ones_like(cx)))
        y8 = (x8 @ cb.T) * cx * scb.T / (127.0 * 127.0)
        yf = x[:, outlier] @ w_deq[:, outlier].T
        value = y8 + yf
    y_grad = x @ w_ste.T
    return y_grad + (value - y_grad).detach()
