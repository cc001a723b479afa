// The format registry (one row per storage format, like ggml's type traits):
// block geometry, the ggml/GGUF type id, conversions to and from f32, the
// ternary block decoder the repacker of kernels/ternary_matmul.hpp reads
// (pack_ternary_format), and what each format may be used for (ternary,
// exportable, head_capable). The GGUF loader, the exporters, `lowbit
// quantize`/`convert`, the tests and the benchmarks ask this table; no list
// of formats is written anywhere else. A new format is one row here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
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
  Q4_0,   // ggml: 32 elems, {fp16 d; uint8 qs[16]}
  kCount
};

// Converts n elements. For block formats n is a multiple of block_elems and
// src points at a block boundary. For formats with a per-tensor trailer
// (I2_S) src is the tensor's start and n its element count.
using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);
// Ternary formats with a scale per block: writes the block_elems values of
// one block (-1/0/+1; a code that is not ternary gives a value outside that
// range, which the repacker rejects) and returns the block's scale.
using DecodeTernaryBlockFn = float (*)(const uint8_t* block, int8_t* t);

struct FormatTraits {
  Format format;
  std::string_view name;        // lower case, as on the command line: "tq2_0"
  int ggml_type;                // GGUF tensor type id (I2_S: 36 in bitnet.cpp files)
  int64_t block_elems;          // elements per block
  int64_t block_bytes;          // bytes per block
  int64_t tensor_trailer_bytes; // bytes after the blocks, once per tensor (I2_S: 32)
  ToFloatFn to_float;           // null until implemented
  FromFloatFn from_float;       // reference quantizer; null if not offered
  // Roles, the questions callers used to answer with their own lists:
  bool ternary;       // values -1/0/+1 times scales: repacked for the ternary kernels
  bool exportable;    // a projection type the exporters, quantize and convert may write
  bool head_capable;  // may hold the token embedding / output head (rows to float, no per-tensor trailer)
  DecodeTernaryBlockFn decode_ternary_block;  // ternary formats with per-block scales; else null
};

// A role of FormatTraits, for the queries below: &FormatTraits::exportable.
using FormatRole = bool FormatTraits::*;

const FormatTraits& format_traits(Format f);
std::span<const FormatTraits> all_formats();
// By name ("tq2_0"); null if unknown.
const FormatTraits* find_format(std::string_view name);
// By GGUF type id. bitnet_fork: the file comes from bitnet.cpp, where id 36
// means I2_S (upstream ggml reuses 36); null if unknown.
const FormatTraits* find_ggml_type(int ggml_type, bool bitnet_fork);

// The names of the formats with a role, in table order: "tq1_0, tq2_0, i2_s"
// (for messages).
std::string format_names_with(FormatRole role);
// The format called `name` if it has the role; otherwise throws
// lowbit::Error "<what> '<name>': expected one of <format_names_with(role)>".
const FormatTraits& require_format_with(std::string_view name, FormatRole role, std::string_view what);

// Bytes of a tensor of n elements in format f (blocks + trailer); n must be a
// multiple of the block size.
int64_t format_bytes(const FormatTraits& f, int64_t n);

}  // namespace lowbit
