// The format registry (one row per storage format, like ggml's type traits):
// block geometry, the ggml/GGUF type id, and conversions to and from f32.
// The GGUF loader, `lowbit quantize`, the tests and the benchmarks iterate
// this table; no list of formats is written anywhere else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace lowbit {

enum class Format : uint8_t {
  F32,
  F16,
  BF16,
  Q8_0,   // ggml: 32 elems, {fp16 d; int8 qs[32]}
  Q6_K,   // ggml: 256 elems, 210 bytes
  TQ1_0,  // ggml: 256 elems, 54 bytes, base-3 ternary
  TQ2_0,  // ggml: 256 elems, 66 bytes, 2-bit ternary
  I2_S,   // bitnet.cpp: 2-bit ternary, one f32 scale per tensor (x86 128-element blocks)
  kCount
};

// Converts n elements. For block formats n is a multiple of block_elems and
// src points at a block boundary. For formats with a per-tensor trailer
// (I2_S) src is the tensor's start and n its element count.
using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);

struct FormatTraits {
  Format format;
  std::string_view name;        // lower case, as on the command line: "tq2_0"
  int ggml_type;                // GGUF tensor type id (I2_S: 36 in bitnet.cpp files)
  int64_t block_elems;          // elements per block
  int64_t block_bytes;          // bytes per block
  int64_t tensor_trailer_bytes; // bytes after the blocks, once per tensor (I2_S: 32)
  ToFloatFn to_float;           // null until implemented
  FromFloatFn from_float;       // reference quantizer; null if not offered
};

const FormatTraits& format_traits(Format f);
std::span<const FormatTraits> all_formats();
// By name ("tq2_0"); null if unknown.
const FormatTraits* find_format(std::string_view name);
// By GGUF type id. bitnet_fork: the file comes from bitnet.cpp, where id 36
// means I2_S (upstream ggml reuses 36); null if unknown.
const FormatTraits* find_ggml_type(int ggml_type, bool bitnet_fork);

// Bytes of a tensor of n elements in format f (blocks + trailer); n must be a
// multiple of the block size.
int64_t format_bytes(const FormatTraits& f, int64_t n);

}  // namespace lowbit
