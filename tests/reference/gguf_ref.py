#!/usr/bin/python3
"""Independent reference writers for lowbit's GGUF and safetensors tests.

Writes, with nothing but struct/json/numpy and the public format specs
(ggml docs/gguf.md and include/gguf.h; huggingface/safetensors README):
  golden/gguf_tiny.gguf                  metadata of every GGUF type (nested arrays too),
                                         F32/F16/Q8_0 tensors, alignment 16
  golden/safetensors_tiny.safetensors    F32/F16/BF16/I8/U8/I32 tensors and __metadata__
tests/io/gguf_golden_test.cpp hard-codes the values below and checks that
lowbit reads exactly them, and that lowbit's writers produce the same bytes.

Run: /usr/bin/python3 tests/reference/gguf_ref.py
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")

# gguf_type ids (gguf.h)
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
SCALAR = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i", F32: "<f",
          BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d"}


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_payload(vtype, value):
    """The value's bytes without its own type id."""
    if vtype == STRING:
        return gguf_string(value)
    if vtype == ARRAY:
        etype, items = value
        out = struct.pack("<IQ", etype, len(items))
        for item in items:
            out += gguf_payload(etype, item)  # nested array items carry no type id
        return out
    return struct.pack(SCALAR[vtype], value)


def pad(n, align):
    return (n + align - 1) // align * align


def write_gguf(path, kvs, tensors, align):
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs))
    for key, vtype, value in kvs:
        out += gguf_string(key) + struct.pack("<I", vtype) + gguf_payload(vtype, value)
    offset = 0
    for name, ggml_type, ne, data in tensors:
        out += gguf_string(name) + struct.pack("<I", len(ne))
        out += b"".join(struct.pack("<q", n) for n in ne)
        out += struct.pack("<iQ", ggml_type, offset)
        offset += pad(len(data), align)
    out += b"\0" * (pad(len(out), align) - len(out))
    for _, _, _, data in tensors:
        out += data + b"\0" * (pad(len(data), align) - len(data))
    with open(path, "wb") as f:
        f.write(out)
    return len(out)


def tiny_gguf():
    kvs = [
        ("general.architecture", STRING, "tiny"),
        ("general.alignment", U32, 16),
        ("t.u8", U8, 200),
        ("t.i8", I8, -100),
        ("t.u16", U16, 60000),
        ("t.i16", I16, -30000),
        ("t.u32", U32, 4000000000),
        ("t.i32", I32, -2000000000),
        ("t.f32", F32, 0.15625),
        ("t.bool", BOOL, True),
        ("t.string", STRING, "h\u00e9llo \"gguf\""),
        ("t.u64", U64, 18000000000000000000),
        ("t.i64", I64, -9000000000000000000),
        ("t.f64", F64, -2.5e-300),
        ("t.arr_i32", ARRAY, (I32, [1, -2, 3])),
        ("t.arr_str", ARRAY, (STRING, ["a", "", "xyz"])),
        ("t.arr_f32", ARRAY, (F32, [0.5, -1.25])),
        ("t.arr_bool", ARRAY, (BOOL, [True, False, True])),
        ("t.arr_empty", ARRAY, (U8, [])),
        ("t.nested", ARRAY, (ARRAY, [(U16, [1, 2]), (U16, []), (U16, [65535])])),
    ]
    w = (np.arange(15, dtype=np.float32) * 0.25 - 1.0).reshape(3, 5)
    e = np.array([1.0, -2.5, 0.5, 65504.0], dtype=np.float16)
    v = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 8
    # Q8_0: blocks of {f16 d; int8 qs[32]}; here 2 rows of one block each.
    q = b""
    for r in range(2):
        q += np.float16(0.5 * (r + 1)).tobytes()
        q += np.arange(-16, 16, dtype=np.int8).tobytes()
    tensors = [
        ("w", 0, [5, 3], w.tobytes()),          # ne innermost first
        ("e", 1, [4], e.tobytes()),
        ("v", 0, [4, 3, 2], v.tobytes()),
        ("q", 8, [32, 2], q),
    ]
    return write_gguf(os.path.join(GOLDEN, "gguf_tiny.gguf"), kvs, tensors, 16)


def tiny_safetensors():
    tensors = [
        ("a", "F32", [2, 3], (np.arange(6, dtype=np.float32) - 2.5).tobytes()),
        ("b", "F16", [4], np.array([0.5, -1.0, 2.0, 1024.0], dtype=np.float16).tobytes()),
        # bf16 of 1.0, -2.0, 0.15625, 3.0: the high halves of the f32 bits
        ("c", "BF16", [2, 2], (np.array([1.0, -2.0, 0.15625, 3.0], dtype=np.float32).view(np.uint32) >> 16)
         .astype("<u2").tobytes()),
        ("d", "I8", [5], np.array([-128, -1, 0, 1, 127], dtype=np.int8).tobytes()),
        ("e", "U8", [3], np.array([0, 7, 255], dtype=np.uint8).tobytes()),
        ("f", "I32", [2], np.array([-70000, 70000], dtype="<i4").tobytes()),
    ]
    header = {"__metadata__": {"format": "pt", "note": "lowbit golden"}}
    offset = 0
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    h += b" " * (pad(len(h), 8) - len(h))  # the reference writer pads the header to 8 bytes
    out = struct.pack("<Q", len(h)) + h + b"".join(t[3] for t in tensors)
    with open(os.path.join(GOLDEN, "safetensors_tiny.safetensors"), "wb") as f:
        f.write(out)
    return len(out)


if __name__ == "__main__":
    os.makedirs(GOLDEN, exist_ok=True)
    print("gguf_tiny.gguf", tiny_gguf(), "bytes")
    print("safetensors_tiny.safetensors", tiny_safetensors(), "bytes")
