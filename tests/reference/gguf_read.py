#!/usr/bin/python3
"""Independent NumPy reader for GGUF files and the tensor types lowbit's
models use (F32, F16, BF16, TQ1_0, TQ2_0, I2_S), written from the public
format description (ggml docs/gguf.md) and docs/FORMATS.md, without looking
at lowbit's C++ readers. Used by greedy_ref.py (the end-to-end token check
of tests/arm/) as a module:

    meta, tensors = read_gguf(path)      # tensors: name -> Tensor
    w = tensors["blk.0.attn_q.weight"].values()   # float64 [rows, cols]

Run as a script it checks itself against the independent writers of
gguf_ref.py (golden/gguf_tiny.gguf) and formats_ref.py (TQ1_0, TQ2_0, I2_S
encoders): decode(encode(x)) must give x back exactly.
    /usr/bin/python3 tests/reference/gguf_read.py
"""
import os
import struct
import sys

import numpy as np

# gguf value types (gguf.h)
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
           BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d"}

# ggml tensor types: id -> (name, elements per block, bytes per block)
GGML_F32, GGML_F16, GGML_Q8_0, GGML_BF16, GGML_TQ1_0, GGML_TQ2_0, GGML_I2_S = 0, 1, 8, 30, 34, 35, 36
TYPES = {
    GGML_F32: ("f32", 1, 4),
    GGML_F16: ("f16", 1, 2),
    GGML_Q8_0: ("q8_0", 32, 34),
    GGML_BF16: ("bf16", 1, 2),
    GGML_TQ1_0: ("tq1_0", 256, 54),
    GGML_TQ2_0: ("tq2_0", 256, 66),
    GGML_I2_S: ("i2_s", 128, 32),  # plus a 32-byte trailer per tensor (f32 scale, 28 zero bytes)
}


class Reader:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        return s.decode("utf-8", errors="surrogateescape")

    def value(self, vtype):
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            etype, n = self.take("<I"), self.take("<Q")
            if etype in _SCALAR and etype != BOOL:  # fast path for big numeric arrays
                dt = np.dtype(_SCALAR[etype])
                a = np.frombuffer(self.buf, dtype=dt, count=n, offset=self.pos)
                self.pos += n * dt.itemsize
                return a.tolist()
            return [self.value(etype) for _ in range(n)]
        if vtype not in _SCALAR:
            raise ValueError(f"unknown gguf value type {vtype}")
        return self.take(_SCALAR[vtype])


class Tensor:
    """One tensor: its ggml type, its shape in row-major order (outermost
    first, i.e. ggml's ne reversed) and its bytes."""

    def __init__(self, name, ggml_type, shape, data):
        self.name, self.type, self.shape, self.data = name, ggml_type, shape, data

    @property
    def type_name(self):
        return TYPES.get(self.type, (f"type {self.type}",))[0]

    def values(self):
        """The tensor as float64, shape `shape`."""
        n = int(np.prod(self.shape))
        flat = decode(self.type, self.data, n)
        return flat.reshape(self.shape)


def tensor_bytes(ggml_type, n):
    name, blk, size = TYPES[ggml_type]
    if n % blk:
        raise ValueError(f"{n} elements are not whole {name} blocks of {blk}")
    return n // blk * size + (32 if ggml_type == GGML_I2_S else 0)


def read_gguf(path):
    """Returns (metadata dict, {name: Tensor}) of a GGUF v2/v3 file."""
    buf = memoryview(open(path, "rb").read())
    r = Reader(buf)
    if bytes(buf[:4]) != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    r.pos = 4
    version = r.take("<I")
    if version not in (2, 3):
        raise ValueError(f"{path}: GGUF version {version}")
    n_tensors, n_kv = r.take("<Q"), r.take("<Q")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        n_dims = r.take("<I")
        ne = [r.take("<q") for _ in range(n_dims)]
        ggml_type, offset = r.take("<I"), r.take("<Q")
        infos.append((name, ggml_type, ne, offset))
    align = int(meta.get("general.alignment", 32))
    data_start = (r.pos + align - 1) // align * align
    tensors = {}
    for name, ggml_type, ne, offset in infos:
        n = int(np.prod(ne)) if ne else 1
        size = tensor_bytes(ggml_type, n) if ggml_type in TYPES else 0
        start = data_start + offset
        if start + size > len(buf):
            raise ValueError(f"{path}: tensor {name} runs past the end of the file")
        tensors[name] = Tensor(name, ggml_type, list(reversed(ne)), buf[start:start + size])
    return meta, tensors


# --- decoders: bytes -> float64 values --------------------------------------

def _f16(b):
    return np.frombuffer(b, dtype="<f2").astype(np.float64)


def decode_tq2_0(data, n):
    blocks = np.frombuffer(data, dtype=np.uint8).reshape(n // 256, 66)
    qs = blocks[:, :64].reshape(-1, 2, 1, 32)            # half c, byte m
    d = _f16(blocks[:, 64:66].tobytes())
    shifts = (2 * np.arange(4)).reshape(1, 1, 4, 1)      # field l: elements 128c + 32l + m
    codes = (qs >> shifts) & 3                           # [block, c, l, m]
    return ((codes.reshape(-1, 256).astype(np.float64) - 1) * d[:, None]).reshape(-1)


def _trits(b, count):
    """The first `count` trits of each byte, most significant first:
    ((b * 3^n mod 256) * 3) >> 8."""
    b = b.astype(np.int64)
    return np.stack([((b * 3 ** k) % 256 * 3) >> 8 for k in range(count)], axis=0)


def decode_tq1_0(data, n):
    blocks = np.frombuffer(data, dtype=np.uint8).reshape(n // 256, 54)
    out = np.empty((blocks.shape[0], 256), dtype=np.int64)
    out[:, :160] = _trits(blocks[:, :32], 5).transpose(1, 0, 2).reshape(-1, 160)     # 32t + m
    out[:, 160:240] = _trits(blocks[:, 32:48], 5).transpose(1, 0, 2).reshape(-1, 80)  # 160 + 16t + m
    out[:, 240:] = _trits(blocks[:, 48:52], 4).transpose(1, 0, 2).reshape(-1, 16)     # 240 + 4t + j
    d = _f16(blocks[:, 52:54].tobytes())
    return ((out.astype(np.float64) - 1) * d[:, None]).reshape(-1)


def decode_i2_s(data, n):
    raw = np.frombuffer(data, dtype=np.uint8)
    codes = raw[:n // 4].reshape(-1, 1, 32)              # block, byte p
    scale = float(np.frombuffer(raw[n // 4:n // 4 + 4].tobytes(), dtype="<f4")[0])
    shifts = (6 - 2 * np.arange(4)).reshape(1, 4, 1)     # group g (elements 32g + p) in bits 7-2g:6-2g
    t = (codes >> shifts) & 3                            # [block, g, p]
    return (t.reshape(-1).astype(np.float64) - 1) * scale


def decode(ggml_type, data, n):
    if ggml_type == GGML_F32:
        return np.frombuffer(data, dtype="<f4", count=n).astype(np.float64)
    if ggml_type == GGML_F16:
        return np.frombuffer(data, dtype="<f2", count=n).astype(np.float64)
    if ggml_type == GGML_BF16:
        u = np.frombuffer(data, dtype="<u2", count=n).astype(np.uint32) << 16
        return u.view(np.float32).astype(np.float64)
    if ggml_type == GGML_Q8_0:
        blocks = np.frombuffer(data, dtype=np.uint8).reshape(n // 32, 34)
        d = _f16(blocks[:, :2].tobytes())
        q = blocks[:, 2:].view(np.int8).astype(np.float64)
        return (q * d[:, None]).reshape(-1)
    if ggml_type == GGML_TQ2_0:
        return decode_tq2_0(data, n)
    if ggml_type == GGML_TQ1_0:
        return decode_tq1_0(data, n)
    if ggml_type == GGML_I2_S:
        return decode_i2_s(data, n)
    raise ValueError(f"ggml type {ggml_type} is not supported by gguf_read.py")


# --- GPT-2 byte-level alphabet (tokenizer.ggml.model "gpt2") ----------------

def gpt2_unicode_to_byte():
    """GPT-2's byte -> printable character table, inverted: bytes that are
    printable Latin-1 ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) stand for
    themselves, the other 68 take U+0100 onwards in byte order."""
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[chr(b)] = b
        else:
            table[chr(0x100 + extra)] = b
            extra += 1
    return table


# --- self-test against the independent writers ------------------------------

def _selftest():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import formats_ref  # noqa: E402  (encoders written from docs/FORMATS.md)

    rng = np.random.default_rng(7)
    t = rng.integers(-1, 2, size=4 * 256)
    x = (t * 0.3125).astype(np.float32)            # 0.3125 is exact in fp16
    x[-256:] = 0.0
    for name, enc, dec in (("tq2_0", formats_ref.tq2_0, decode_tq2_0),
                           ("tq1_0", formats_ref.tq1_0, decode_tq1_0),
                           ("i2_s", formats_ref.i2_s, decode_i2_s)):
        got = dec(enc(x), x.size)
        assert np.array_equal(got, x.astype(np.float64)), f"{name}: decode(encode(x)) != x"
    # A scale that is not exact in fp16: TQ blocks round d, I2_S keeps the f32.
    y = (t * 0.0375).astype(np.float32)
    assert np.array_equal(decode_tq2_0(formats_ref.tq2_0(y), y.size),
                          t * float(np.float16(np.float32(0.0375))))
    assert np.array_equal(decode_i2_s(formats_ref.i2_s(y), y.size), t * float(np.float32(0.0375)))

    g = os.path.join(here, "golden", "gguf_tiny.gguf")
    if os.path.exists(g):
        meta, tens = read_gguf(g)
        assert meta["t.string"] == "h\u00e9llo \"gguf\"" and meta["t.i64"] == -9000000000000000000
        assert meta["t.nested"] == [[1, 2], [], [65535]]
        w = (np.arange(15) * 0.25 - 1.0).reshape(3, 5)
        assert np.array_equal(tens["w"].values(), w)
        assert np.array_equal(tens["e"].values(), [1.0, -2.5, 0.5, 65504.0])
        assert np.array_equal(tens["v"].values(), np.arange(24).reshape(2, 3, 4) / 8)
        q = np.array([np.arange(-16, 16) * 0.5, np.arange(-16, 16) * 1.0])
        assert np.array_equal(tens["q"].values(), q)
    tab = gpt2_unicode_to_byte()
    assert len(tab) == 256 and sorted(tab.values()) == list(range(256)) and tab["\u0120"] == 0x20
    print("gguf_read.py: self-test passed")


if __name__ == "__main__":
    _selftest()
