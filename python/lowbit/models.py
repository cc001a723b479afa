"""A BitNet b1.58 decoder in PyTorch with lowbit.nn projections: the
architecture of BitNet b1.58 2B4T, which lowbit runs from GGUF (pre-norm
blocks; RMSNorm with weights; q/k/v/o, gate/up/down projections; NeoX RoPE;
grouped-query attention; attn_sub_norm before o and ffn_sub_norm before
down; relu^2 gate; logits from the tied embedding). Parameter names follow
the GGUF tensor names (see gguf_tensors()), so lowbit.export can write the
model for `lowbit generate`."""
import math

import torch

from . import nn as lnn

__all__ = ["BitNetConfig", "BitNetLM"]


class BitNetConfig(dict):
    """n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, and optionally
    head_dim, n_ctx, rope_theta, rms_eps (the GGUF defaults)."""

    def __init__(self, n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, head_dim=None, n_ctx=4096,
                 rope_theta=500000.0, rms_eps=1e-5):
        super().__init__(n_vocab=n_vocab, n_embd=n_embd, n_layer=n_layer, n_head=n_head, n_head_kv=n_head_kv,
                         n_ff=n_ff, head_dim=head_dim or n_embd // n_head, n_ctx=n_ctx, rope_theta=rope_theta,
                         rms_eps=rms_eps)


class RMSNorm(torch.nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, theta):
    """NeoX rotary embedding of x [B, T, heads, head_dim] at positions 0..T-1
    (pairs i and i + head_dim/2), frequencies in float64."""
    T, hd = x.shape[1], x.shape[-1]
    half = hd // 2
    freq = theta ** (-2.0 * torch.arange(half, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * freq[None, :]
    cos, sin = ang.cos().float()[None, :, None, :], ang.sin().float()[None, :, None, :]
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, a * sin + b * cos], -1)


class Block(torch.nn.Module):
    def __init__(self, c, make_linear):
        super().__init__()
        d, hd = c["n_embd"], c["head_dim"]
        self.c = c
        self.attn_norm = RMSNorm(d, c["rms_eps"])
        self.attn_q = make_linear(d, c["n_head"] * hd)
        self.attn_k = make_linear(d, c["n_head_kv"] * hd)
        self.attn_v = make_linear(d, c["n_head_kv"] * hd)
        self.attn_sub_norm = RMSNorm(c["n_head"] * hd, c["rms_eps"])
        self.attn_output = make_linear(c["n_head"] * hd, d)
        self.ffn_norm = RMSNorm(d, c["rms_eps"])
        self.ffn_gate = make_linear(d, c["n_ff"])
        self.ffn_up = make_linear(d, c["n_ff"])
        self.ffn_sub_norm = RMSNorm(c["n_ff"], c["rms_eps"])
        self.ffn_down = make_linear(c["n_ff"], d)

    def forward(self, x):
        c = self.c
        B, T, _ = x.shape
        hd, nh, nkv = c["head_dim"], c["n_head"], c["n_head_kv"]
        h = self.attn_norm(x)
        q = rope(self.attn_q(h).view(B, T, nh, hd), c["rope_theta"]).transpose(1, 2)
        k = rope(self.attn_k(h).view(B, T, nkv, hd), c["rope_theta"]).transpose(1, 2)
        v = self.attn_v(h).view(B, T, nkv, hd).transpose(1, 2)
        k = k.repeat_interleave(nh // nkv, 1)
        v = v.repeat_interleave(nh // nkv, 1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        att = torch.softmax(s.masked_fill(mask, float("-inf")), -1) @ v
        att = att.transpose(1, 2).reshape(B, T, nh * hd).contiguous()
        x = x + self.attn_output(self.attn_sub_norm(att).contiguous())
        h = self.ffn_norm(x)
        f = torch.relu(self.ffn_gate(h)) ** 2 * self.ffn_up(h)
        return x + self.ffn_down(self.ffn_sub_norm(f).contiguous())


class BitNetLM(torch.nn.Module):
    """tokens [B, T] int64 -> logits [B, T, n_vocab]."""

    def __init__(self, config, layer="bitlinear158", **layer_options):
        super().__init__()
        self.config = BitNetConfig(**config) if not isinstance(config, BitNetConfig) else config
        cls = lnn._LAYERS[layer]
        make = lambda i, o: cls(i, o, bias=False, **layer_options)  # noqa: E731
        c = self.config
        self.token_embd = torch.nn.Embedding(c["n_vocab"], c["n_embd"])
        torch.nn.init.normal_(self.token_embd.weight, std=0.02)
        self.blk = torch.nn.ModuleList([Block(c, make) for _ in range(c["n_layer"])])
        self.output_norm = RMSNorm(c["n_embd"], c["rms_eps"])

    def forward(self, tokens):
        x = self.token_embd(tokens)
        for b in self.blk:
            x = b(x)
        return self.output_norm(x) @ self.token_embd.weight.T

    def gguf_tensors(self):
        """(GGUF name, float32 tensor, lowbit.nn module or None) for each weight."""
        out = []
        for name, p in self.named_parameters():
            gguf = name if name.endswith(".weight") else name + ".weight"
            module = self.get_submodule(name.rsplit(".", 1)[0]) if "." in name else None
            out.append((gguf, p.detach(), module if isinstance(module, lnn._LowbitLinear) else None))
        return out
