"""PyTorch layers over lowbit's quantized linear layers (docs/MATH.md):

    BitLinear     S1  BitNet v1: binary weights, b-bit absmax activations
    BitLinear158  S4  BitNet b1.58: ternary weights, int8 activations
    HBitLinear    S3  BitNet v2: Hadamard transform, then int8 or int4 activations
    Int8Linear    S5  LLM.int8: row-wise int8 weights, outlier decomposition

Training mode runs the library's exact quantizer math forward and the
straight-through estimator backward (a torch.autograd.Function), on the
current f32 master weight. Eval mode quantizes and packs the weight once
(again when the weight changes) and runs lowbit's packed kernels: the same
output, bit for bit, several times faster than a float linear. Eval mode
has no weight gradient (call .train() for that).

Inputs are float32 CPU tensors, contiguous, of shape [..., in_features].
"""
import numpy as np
import torch

from . import _lowbit
from ._checks import tensor as _check_tensor

__all__ = ["BitLinear", "BitLinear158", "HBitLinear", "Int8Linear", "replace_linear"]


class _QuantLinearFn(torch.autograd.Function):
    """y = layer(x) with the library's forward and STE backward."""

    @staticmethod
    def forward(ctx, x2, weight, kind, options):
        w = weight.detach().numpy()
        xn = x2.detach().numpy()
        ctx.save_for_backward(x2, weight)
        ctx.kind, ctx.options = kind, options
        return torch.from_numpy(_lowbit.linear_forward(kind, w, xn, options))

    @staticmethod
    def backward(ctx, grad_y):
        x2, weight = ctx.saved_tensors
        dy = grad_y.detach().to(torch.float32).contiguous().numpy()
        dx, dw = _lowbit.linear_backward(ctx.kind, weight.detach().numpy(), x2.detach().numpy(), dy, ctx.options)
        return (torch.from_numpy(dx) if ctx.needs_input_grad[0] else None,
                torch.from_numpy(dw) if ctx.needs_input_grad[1] else None, None, None)


class _LowbitLinear(torch.nn.Module):
    """What the four layers share; subclasses set _kind and their options."""
    _kind = None

    def __init__(self, in_features, out_features, bias=True, options=None, device=None, dtype=None):
        super().__init__()
        if dtype not in (None, torch.float32):
            raise TypeError(f"{type(self).__name__}: the master weight is float32, got dtype {dtype}")
        if device is not None and torch.device(device).type != "cpu":
            raise ValueError(f"{type(self).__name__}: lowbit's layers live on the CPU, got device {device}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.options = options
        self.weight = torch.nn.Parameter(torch.empty(self.out_features, self.in_features))
        self.bias = torch.nn.Parameter(torch.empty(self.out_features)) if bias else None
        self.reset_parameters()
        self._packed = None
        self._packed_version = None

    def reset_parameters(self):
        # torch.nn.Linear's initialization.
        torch.nn.Linear.reset_parameters(self)

    @classmethod
    def from_linear(cls, linear, **options):
        """A copy of a torch.nn.Linear as this layer (weight and bias copied)."""
        if not isinstance(linear, torch.nn.Linear):
            raise TypeError(f"from_linear: expected a torch.nn.Linear, got {type(linear).__name__}")
        layer = cls(linear.in_features, linear.out_features, bias=linear.bias is not None, **options)
        with torch.no_grad():
            layer.weight.copy_(linear.weight.detach().to(torch.float32).cpu())
            if linear.bias is not None:
                layer.bias.copy_(linear.bias.detach().to(torch.float32).cpu())
        layer.train(linear.training)
        return layer

    def _check_weight(self):
        w = self.weight
        if w.dtype != torch.float32 or w.device.type != "cpu" or not w.is_contiguous():
            raise ValueError(f"{type(self).__name__}: the weight must stay a contiguous float32 CPU tensor")

    def packed(self):
        """The eval-mode packed weight, rebuilt when the weight has changed."""
        self._check_weight()
        version = (self.weight.data_ptr(), self.weight._version)
        if self._packed is None or self._packed_version != version:
            self._packed = _lowbit.PackedLinear(self._kind, self.weight.detach().numpy(), self.options)
            self._packed_version = version
        return self._packed

    def __getstate__(self):
        # The packed weight is a cache of the C++ side: rebuilt, not pickled.
        state = self.__dict__.copy()
        state["_packed"] = state["_packed_version"] = None
        return state

    def train(self, mode=True):
        if mode:
            self._packed = None  # the weight is about to change
        return super().train(mode)

    def forward(self, x):
        _check_tensor(x, "x", self.in_features)
        self._check_weight()
        lead = x.shape[:-1]
        x2 = x.reshape(-1, self.in_features)
        if not self.training and not (torch.is_grad_enabled() and x.requires_grad):
            y = torch.from_numpy(self.packed().forward(x2.detach().numpy()))
        else:
            y = _QuantLinearFn.apply(x2, self.weight, self._kind, self.options)
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(*lead, self.out_features)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class BitLinear(_LowbitLinear):
    """S1 BitNet v1: LayerNorm (no affine) -> b-bit absmax activations (or the
    x - min x variant with nonneg=True); weights sign(W - alpha_g) * beta_g in
    `groups` groups of output rows."""
    _kind = "bitlinear"

    def __init__(self, in_features, out_features, bias=True, bits=8, groups=1, nonneg=False, layernorm=True,
                 **kw):
        if not 2 <= bits <= 16:
            raise ValueError(f"BitLinear: activation bits must be in [2, 16], got {bits}")
        if groups < 1 or out_features % groups:
            raise ValueError(f"BitLinear: groups ({groups}) must divide out_features ({out_features})")
        super().__init__(in_features, out_features, bias,
                         _lowbit.LinearOptions(groups=groups, bits=bits, nonneg=nonneg, layernorm=layernorm), **kw)


class BitLinear158(_LowbitLinear):
    """S4 BitNet b1.58: optional RMSNorm (subln=True) -> int8 absmax
    activations; absmean ternary weights."""
    _kind = "bitlinear158"

    def __init__(self, in_features, out_features, bias=True, subln=False, **kw):
        super().__init__(in_features, out_features, bias, _lowbit.LinearOptions(subln=subln), **kw)


class HBitLinear(_LowbitLinear):
    """S3 BitNet v2 H-BitLinear: optional RMSNorm -> normalized Hadamard
    transform -> int8 absmax (act_bits=8) or int4 absmean (act_bits=4)
    activations; absmean ternary weights."""
    _kind = "hbitlinear"

    def __init__(self, in_features, out_features, bias=True, act_bits=8, subln=False, **kw):
        if act_bits not in (4, 8):
            raise ValueError(f"HBitLinear: activation bits must be 4 or 8, got {act_bits}")
        super().__init__(in_features, out_features, bias, _lowbit.LinearOptions(subln=subln, act_bits=act_bits),
                         **kw)


class Int8Linear(_LowbitLinear):
    """S5 LLM.int8: row-wise int8 weights; columns with an activation of
    magnitude >= threshold go through float, the rest through int8 (per-token
    absmax). threshold=0 disables the decomposition."""
    _kind = "int8"

    def __init__(self, in_features, out_features, bias=True, threshold=6.0, **kw):
        if not threshold >= 0:
            raise ValueError(f"Int8Linear: the outlier threshold must be >= 0 (0 disables it), got {threshold}")
        super().__init__(in_features, out_features, bias, _lowbit.LinearOptions(threshold=threshold), **kw)


_LAYERS = {"bitlinear": BitLinear, "bitlinear158": BitLinear158, "hbitlinear": HBitLinear, "int8": Int8Linear}


def replace_linear(model, layer="bitlinear158", modules_to_not_convert=("lm_head",), **options):
    """Replaces every torch.nn.Linear inside `model` (in place, recursively)
    by `layer` (a name: bitlinear, bitlinear158, hbitlinear, int8, or a class)
    built with from_linear(**options); modules whose name (or dotted path)
    is in modules_to_not_convert are kept. Returns the model."""
    cls = _LAYERS.get(layer) if isinstance(layer, str) else layer
    if cls is None:
        raise ValueError(f"replace_linear: unknown layer '{layer}'; choose one of {', '.join(_LAYERS)}")
    skip = set(modules_to_not_convert or ())

    def walk(module, prefix):
        for name, child in list(module.named_children()):
            path = f"{prefix}.{name}" if prefix else name
            if name in skip or path in skip:
                continue
            if isinstance(child, torch.nn.Linear):
                setattr(module, name, cls.from_linear(child, **options))
            else:
                walk(child, path)

    if isinstance(model, torch.nn.Linear):
        return cls.from_linear(model, **options)
    walk(model, "")
    return model
