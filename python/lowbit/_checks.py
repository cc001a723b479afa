"""Argument checks shared by the Python API: the C++ side takes C-contiguous
float32 / int8 / uint8 arrays on the CPU, and a wrong one must fail with a
message that names the argument, not deep inside the extension (or, worse,
be silently converted)."""
import numpy as np

_NP_NAMES = {np.float32: "float32", np.int8: "int8", np.uint8: "uint8"}


def array(value, name, dtype, ndim=None):
    """`value` as a C-contiguous NumPy array of `dtype` (no copy, no cast)."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name}: expected a numpy.ndarray of {_NP_NAMES[dtype]}, got {type(value).__name__}")
    if value.dtype != dtype:
        raise TypeError(f"{name}: expected dtype {_NP_NAMES[dtype]}, got {value.dtype}")
    if ndim is not None and value.ndim not in ndim:
        raise ValueError(f"{name}: expected {' or '.join(f'{n}-D' for n in ndim)}, got shape {value.shape}")
    if not value.flags.c_contiguous:
        raise ValueError(f"{name}: the array must be C-contiguous (use numpy.ascontiguousarray)")
    return value


def tensor(value, name, in_features=None):
    """Checks a torch.Tensor input of a lowbit.nn layer: float32, on the CPU,
    contiguous, last dimension in_features."""
    import torch
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    if value.dtype != torch.float32:
        raise TypeError(f"{name}: expected dtype torch.float32, got {value.dtype}")
    if value.device.type != "cpu":
        raise ValueError(f"{name}: lowbit's kernels run on the CPU; the tensor is on {value.device}")
    if value.dim() == 0:
        raise ValueError(f"{name}: expected at least 1 dimension, got a scalar")
    if in_features is not None and value.shape[-1] != in_features:
        raise ValueError(f"{name}: last dimension is {value.shape[-1]}, the layer's in_features is {in_features}")
    if not value.is_contiguous():
        raise ValueError(f"{name}: the tensor must be contiguous (call .contiguous())")
    return value
