#!/usr/bin/python3
"""Independent greedy decoding of a GGUF BitNet b1.58 model (the 2B4T
architecture that `lowbit random-model` writes) in NumPy, float64: reads
the file with gguf_read.py, runs the forward pass of bitnet_ref.py (per-token
int8 absmax activations x ternary weights, relu^2 FFN, sub-norms, NEOX rope,
GQA, tied output) over the whole sequence for every new token, and takes the
argmax. Prints one JSON object:

  ids         the generated token ids (stops before an end-of-generation id)
  text_hex    what `lowbit generate` prints for them (special tokens skipped),
              hex encoded
  prompt_ids  the prompt's token ids (BOS first when the file asks for it)
  margin      the smallest gap between the best and the second-best logit
              over the steps (how far every step is from a near-tie)
  logit_scale the largest |logit| seen, to put `margin` in proportion
  quant_ties, quant_near, quant_min_gap
              int8 activations (127 x / gamma) exactly on, or within 1e-4
              of, a rounding boundary, and the closest distance: where the
              float32 engine may round one step the other way (QuantWatch)

Usage: greedy_ref.py MODEL.gguf --prompt TEXT -n N
Used by tests/arm/generate_crosscheck.sh.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bitnet_ref  # noqa: E402  the forward pass (module globals hold the shape)
import gguf_read   # noqa: E402

PROJ = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
NORMS = ("attn_norm", "attn_sub_norm", "ffn_norm", "ffn_sub_norm")
CONTROL, USER_DEFINED = 3, 4  # token types lowbit leaves out of the text


def fail(msg):
    sys.exit(f"greedy_ref.py: {msg}")


def load(path):
    meta, tens = gguf_read.read_gguf(path)
    arch = meta["general.architecture"]
    k = lambda s, d=None: meta.get(f"{arch}.{s}", d)  # noqa: E731
    act = meta.get("lowbit.ffn_act", k("hidden_activation", "silu" if arch == "bitnet" else "relu2"))
    # What bitnet_ref.forward computes; anything else is refused, not guessed.
    if arch not in ("bitnet", "bitnet-b1.58") or act != "relu2":
        fail(f"{path}: architecture {arch} with {act} FFN: only the 2B4T block (relu^2, NEOX rope) is implemented")
    if "output.weight" in tens or "blk.0.attn_sub_norm.weight" not in tens:
        fail(f"{path}: expected a tied output head and sub-norms (the 2B4T layout)")
    D, L, NH = int(k("embedding_length")), int(k("block_count")), int(k("attention.head_count"))
    cfg = dict(D=D, L=L, NH=NH, NKV=int(k("attention.head_count_kv", NH)),
               HD=int(k("attention.key_length", D // NH)), FF=int(k("feed_forward_length")),
               THETA=float(k("rope.freq_base", 10000.0)), EPS=float(k("attention.layer_norm_rms_epsilon", 1e-5)))
    w = {"token_embd.weight": tens["token_embd.weight"].values(),
         "output_norm.weight": tens["output_norm.weight"].values()}
    cfg["V"] = w["token_embd.weight"].shape[0]
    types = set()
    for l in range(L):
        for n in NORMS + PROJ:
            name = f"blk.{l}.{n}.weight"
            w[name] = tens[name].values()
        for n in PROJ:
            t = tens[f"blk.{l}.{n}.weight"]
            types.add(t.type_name)
            mags = np.unique(np.abs(w[t.name]))
            # bitnet_ref's ternary linear takes the tensor's max |w| as its one scale.
            if len(mags[mags > 0]) != 1:
                fail(f"{t.name}: {t.type_name} values are not one scale times -1/0/+1 ({mags[:4]} ...)")
    return meta, w, cfg, types


def tokenizer(meta):
    if meta.get("tokenizer.ggml.model") != "gpt2" or meta.get("tokenizer.ggml.merges"):
        fail("expected a byte-level tokenizer without merges (one token per byte)")
    tokens = meta["tokenizer.ggml.tokens"]
    types = meta.get("tokenizer.ggml.token_type", [1] * len(tokens))
    u2b = gguf_read.gpt2_unicode_to_byte()
    piece = []
    for s, ty in zip(tokens, types):
        piece.append(s.encode() if ty in (CONTROL, USER_DEFINED) else bytes(u2b[c] for c in s))
    byte_id = {}
    for i, (p, ty) in enumerate(zip(piece, types)):
        if ty not in (CONTROL, USER_DEFINED) and len(p) == 1:
            byte_id.setdefault(p[0], i)
    eog = {meta[key] for key in ("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id") if key in meta}
    return piece, types, byte_id, eog


class QuantWatch:
    """Wraps bitnet_ref's ternary linear to see how close each int8
    activation 127 x / gamma came to a rounding boundary (k + 1/2). lowbit
    computes x in float32, so a value within float32 noise of a boundary may
    round the other way there (one int8 step, which moves the logits by 0.01
    to 0.2 in these models); an exact tie (often: layer 0's input is an
    f16 embedding row times norm weights of 1) is decided by float32 noise."""

    def __init__(self):
        self.min_gap, self.ties, self.near = np.inf, 0, 0
        self._make = bitnet_ref.make_linear

    def make_linear(self, ternary):
        lin = self._make(ternary)

        def watched(x, w):
            if ternary:
                v = np.abs(127.0 * x / np.abs(x).max(axis=1, keepdims=True))
                gap = np.abs(v - np.floor(v) - 0.5)[v < 127.5]  # larger values clip to 127
                self.min_gap = min(self.min_gap, float(gap.min()))
                self.ties += int((gap < 1e-9).sum())
                self.near += int((gap < NEAR).sum())
            return lin(x, w)
        return watched


NEAR = 1e-4  # |127 x / gamma - (k + 1/2)| below this counts as within float32 noise


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--prompt", required=True)
    ap.add_argument("-n", type=int, default=16)
    ap.add_argument("--i2s-block", type=int, default=128, choices=(128, 64),
                    help="64: read I2_S codes in 64-weight/16-byte blocks (the grouping of bitnet.cpp's ARM "
                         "kernels), a negative control: files hold the 128/32 layout")
    a = ap.parse_args()
    if a.i2s_block == 64:
        def i2s_64(data, n):
            raw = np.frombuffer(data, dtype=np.uint8)
            codes = raw[:n // 4].reshape(-1, 1, 16)  # element 16g + p in bits 7-2g:6-2g of byte p
            scale = float(np.frombuffer(raw[n // 4:n // 4 + 4].tobytes(), dtype="<f4")[0])
            t = (codes >> (6 - 2 * np.arange(4)).reshape(1, 4, 1)) & 3
            return (t.reshape(-1).astype(np.float64) - 1) * scale
        gguf_read.decode_i2_s = i2s_64
    meta, w, cfg, types = load(a.model)
    piece, tok_types, byte_id, eog = tokenizer(meta)
    for key, v in cfg.items():
        setattr(bitnet_ref, key, v)
    ids = []
    if meta.get("tokenizer.ggml.add_bos_token", True) and "tokenizer.ggml.bos_token_id" in meta:
        ids.append(int(meta["tokenizer.ggml.bos_token_id"]))
    ids += [byte_id[b] for b in a.prompt.encode()]
    prompt_ids = list(ids)
    gen, text, margin, scale = [], b"", np.inf, 0.0
    for _ in range(a.n):
        bitnet_ref.TOKENS = ids
        logits = bitnet_ref.forward(w, True)[-1]
        order = np.argsort(-logits, kind="stable")
        best = int(order[0])
        margin = min(margin, float(logits[order[0]] - logits[order[1]]))
        scale = max(scale, float(np.abs(logits).max()))
        if best in eog:
            break
        gen.append(best)
        ids.append(best)
        if tok_types[best] not in (CONTROL, USER_DEFINED):
            text += piece[best]
    # Every activation that took part (the last token is never run): causal,
    # so one pass over the final sequence computes each position as the
    # steps did.
    watch = QuantWatch()
    bitnet_ref.make_linear = watch.make_linear
    bitnet_ref.TOKENS = ids[:-1] if gen else ids
    bitnet_ref.forward(w, True)
    bitnet_ref.make_linear = watch._make
    print(json.dumps({"ids": gen, "text_hex": text.hex(), "prompt_ids": prompt_ids, "margin": margin,
                      "logit_scale": scale, "quant_ties": watch.ties, "quant_near": watch.near,
                      "quant_min_gap": watch.min_gap, "types": sorted(types)}))


if __name__ == "__main__":
    main()
