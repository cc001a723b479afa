"""lowbit.export: a PyTorch model of lowbit.nn layers as a GGUF that
`lowbit generate` (and lowbit.Model) run."""
import numpy as np
import torch

from . import _lowbit


def export(model, path, type="i2_s"):
    """Writes `model` (a lowbit.models.BitNetLM, or any module with a
    `config` dict and a gguf_tensors() method of the same form) to `path`.

    BitLinear158 projections are stored ternary in `type` (i2_s: one f32
    scale per tensor, the training scale exactly; tq2_0 / tq1_0: an fp16
    scale per block; f32: unquantized); the other lowbit.nn layers as f32
    weights with keys that make the runtime build the same layer. The
    embedding is stored f16 (the runtime's logits use it too). The
    tokenizer is the byte-level one (n_vocab must be its size)."""
    if isinstance(model, torch.nn.parallel.DistributedDataParallel):
        model = model.module
    items = []
    for name, tensor, layer in model.gguf_tensors():
        values = np.ascontiguousarray(tensor.detach().to(torch.float32).cpu().numpy())
        if layer is None:
            items.append((name, values, "", None))
        else:
            items.append((name, values, layer._kind, layer.options))
    _lowbit.export_gguf(str(path), dict(model.config), items, type)
