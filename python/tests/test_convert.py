"""lowbit.convert on a small checkpoint written here in the Hugging Face
BitNet layout (transformers' pack_weights: 4 ternary values per uint8 along
the output dimension, W = W~ / weight_scale) from a PyTorch BitNetLM whose
weights are exact in every format on the way (bf16, f16, ternary x 1/8):
the converted GGUF's logits equal the PyTorch model's."""
import json
import struct

import numpy as np
import pytest
import torch

import lowbit
from lowbit import _lowbit
from lowbit.models import BitNetLM

SCALE = 0.125  # the ternary multiplier: weight_scale = 8 in the checkpoint
HF_NAMES = {"attn_norm": "input_layernorm", "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
            "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj", "attn_sub_norm": "self_attn.attn_sub_norm",
            "ffn_norm": "post_attention_layernorm", "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
            "ffn_down": "mlp.down_proj", "ffn_sub_norm": "mlp.ffn_sub_norm"}


def hf_name(gguf):
    if gguf == "token_embd.weight":
        return "model.embed_tokens.weight"
    if gguf == "output_norm.weight":
        return "model.norm.weight"
    _, layer, part, _ = gguf.split(".")
    return f"model.layers.{layer}.{HF_NAMES[part]}.weight"


def hf_pack(t):
    """[rows, cols] in {-1, 0, 1} -> uint8 [rows/4, cols]: row k*R + r in bits 2k+1..2k of row r."""
    r = t.shape[0] // 4
    out = np.zeros((r, t.shape[1]), np.uint8)
    for k in range(4):
        out |= ((t[k * r:(k + 1) * r] + 1).astype(np.uint8) << (2 * k))
    return out


def bf16_bytes(x):
    return torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(torch.bfloat16).view(torch.int16).numpy().tobytes()


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(3)
    n_vocab = _lowbit.byte_tokenizer_vocab_size()
    cfg = dict(n_vocab=n_vocab, n_embd=128, n_layer=2, n_head=4, n_head_kv=2, n_ff=256, n_ctx=128)
    model = BitNetLM(cfg)
    tensors = {}
    with torch.no_grad():
        for name, p, layer in model.gguf_tensors():
            if name == "token_embd.weight":  # k / 256, |k| < 256: exact in bf16 and f16
                p.copy_(torch.clamp(torch.round(torch.randn_like(p) * 64), -255, 255) / 256)
                tensors[hf_name(name)] = ("BF16", p.shape, bf16_bytes(p.numpy()))
            elif layer is None:  # norms: 1 + k / 64
                p.copy_(1 + torch.randint(-16, 17, p.shape) / 64)
                tensors[hf_name(name)] = ("BF16", p.shape, bf16_bytes(p.numpy()))
            else:  # +-1/8: absmean ternary gives back exactly these values and scale
                signs = torch.where(torch.randn_like(p) > 0, 1, -1)
                p.copy_(signs * SCALE)
                packed = hf_pack(signs.numpy().astype(np.int8))
                tensors[hf_name(name)] = ("U8", packed.shape, packed.tobytes())
                tensors[hf_name(name) + "_scale"] = ("BF16", (1,), bf16_bytes(np.array([1 / SCALE])))
    d = tmp_path_factory.mktemp("hf")
    write_safetensors(d / "model.safetensors", tensors)
    (d / "config.json").write_text(json.dumps({
        "architectures": ["BitNetForCausalLM"], "model_type": "bitnet", "hidden_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
        "num_key_value_heads": 2, "intermediate_size": 256, "vocab_size": n_vocab, "max_position_embeddings": 128,
        "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "hidden_act": "relu2", "tie_word_embeddings": True}))
    (d / "tokenizer.json").write_text(_lowbit.byte_tokenizer_hf_json())
    return d, model.eval()


def test_converted_logits_equal_pytorch(checkpoint, tmp_path):
    # i2_s keeps the ternary values and the per-tensor scale exactly (tq2_0
    # would need rows of 256; f16 runs the projections unquantized).
    d, model = checkpoint
    out = tmp_path / "converted.gguf"
    info = lowbit.convert(d, out, type="i2_s")
    assert info == {"source": "BitNetForCausalLM", "arch": "bitnet-b1.58", "type": "i2_s", "ternary": True}
    m = lowbit.Model(out)
    assert m.architecture == "bitnet-b1.58" and m.metadata["bitnet-b1.58.block_count"] == 2
    # Activations are quantized to int8 on both sides: an input within float
    # rounding of a rounding boundary can land on neighbouring integers in
    # PyTorch and in lowbit, and through K/V that changes every later
    # position (~1e-2 in this untrained model). This text has no such value.
    ids = _lowbit.byte_tokenize("abcdefghijklmnopqrstuvwxyz")
    with torch.no_grad():
        expected = model(torch.tensor([ids]))[0].double().numpy()
    got = m.logits(ids).astype(np.float64)
    rel = np.linalg.norm(got - expected, axis=1) / np.linalg.norm(expected, axis=1)
    assert rel.max() < 1e-4, rel


def test_convert_errors(checkpoint, tmp_path):
    with pytest.raises(lowbit.LowbitError, match="no config.json"):
        lowbit.convert(tmp_path, tmp_path / "x.gguf")
    with pytest.raises(lowbit.LowbitError, match="not a directory"):
        lowbit.convert(tmp_path / "absent", tmp_path / "x.gguf")
    with pytest.raises(lowbit.LowbitError, match="expected tq2_0, tq1_0, i2_s, f16 or f32"):
        lowbit.convert(checkpoint[0], tmp_path / "x.gguf", type="q5_1")
