"""lowbit from Python: 1-bit / 1.58-bit / int8 layers for PyTorch, NumPy
quantizers and kernels, and GGUF models (generate, logits, perplexity, chat).

    import lowbit
    m = lowbit.Model("models/shakespeare-b158.gguf")
    for piece in m.generate("ROMEO:", n_predict=32, temperature=0):
        print(piece, end="")

    import lowbit.nn
    layer = lowbit.nn.BitLinear158.from_linear(torch.nn.Linear(2560, 2560))

The C++ library is the extension module lowbit._lowbit; errors it raises
are lowbit.LowbitError (a RuntimeError) with the library's message.
"""
from . import _lowbit
from ._lowbit import LowbitError, get_num_threads, set_num_threads
from .model import Model
from .numpy_api import (binarize_weights, pack, quant_absmax_shifted, quant_absmax_signed,
                        quant_int4_absmean, quant_int8_absmax, quantize_int8_rows, ternarize_absmean,
                        ternary_matmul, ternary_matmul_packed, unpack)

__all__ = [
    "LowbitError", "Model", "get_num_threads", "set_num_threads", "binarize_weights", "pack", "quant_absmax_shifted", "quant_absmax_signed",
    "quant_int4_absmean", "quant_int8_absmax", "quantize_int8_rows", "ternarize_absmean",
    "ternary_matmul", "ternary_matmul_packed", "unpack",
]


def export(*args, **kwargs):
    """Writes a PyTorch model of lowbit.nn layers as a GGUF (see lowbit.export_gguf)."""
    from .export_gguf import export as _export
    return _export(*args, **kwargs)


def convert(hf_dir, out, type=""):
    """Converts a Hugging Face checkpoint directory (config.json, safetensors,
    tokenizer.json; BitNet b1.58 2B4T, 1bitLLM, LLaMA) to GGUF, as `lowbit
    convert` does. type: i2_s (the default for ternary checkpoints), tq2_0,
    tq1_0, f16 (the default for float ones) or f32. Returns a dict: source
    (the checkpoint's class), arch (the GGUF architecture written), type,
    ternary."""
    return _lowbit.convert(str(hf_dir), str(out), type)
