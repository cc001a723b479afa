// The ternary rows of the format registry, bit-exact with their public
// definitions so that GGUF files move between lowbit, llama.cpp and
// bitnet.cpp unchanged (layouts and worked examples: docs/FORMATS.md):
//   TQ2_0  ggml, 256-element blocks {uint8 qs[64]; fp16 d}, 2-bit codes
//   TQ1_0  ggml, 256-element blocks {uint8 qs[48]; uint8 qh[4]; fp16 d}, base 3
//   I2_S   bitnet.cpp (x86), 128-element blocks of 32 bytes, then one f32
//          scale and 28 zero bytes per tensor
// Codes are t in {0,1,2} meaning t - 1 in all three.
#pragma once

#include <cstdint>

namespace lowbit {

inline constexpr int64_t kTq2Block = 256, kTq2BlockBytes = 66;
inline constexpr int64_t kTq1Block = 256, kTq1BlockBytes = 54;
inline constexpr int64_t kI2sBlock = 128, kI2sBlockBytes = 32, kI2sTrailerBytes = 32;

// Registry functions: see FormatTraits (formats/format.hpp).
void tq2_0_to_float(const void* src, float* dst, int64_t n);
void tq2_0_from_float(const float* src, void* dst, int64_t n);
void tq1_0_to_float(const void* src, float* dst, int64_t n);
void tq1_0_from_float(const float* src, void* dst, int64_t n);
void i2_s_to_float(const void* src, float* dst, int64_t n);
void i2_s_from_float(const float* src, void* dst, int64_t n);

// Block-level decoders for the repacker: write the 256 ternary values of one
// block (-1/0/+1) and return the block scale d (as f32). A TQ2_0 code of 3,
// which ggml never writes, decodes as +2 would in ggml (3 - 1); callers that
// need ternary values reject it.
float tq2_0_decode_block(const uint8_t* block, int8_t* t);
float tq1_0_decode_block(const uint8_t* block, int8_t* t);
// I2_S: the code (0..3) of element e of a tensor's packed data.
inline int i2_s_code(const uint8_t* data, int64_t e) {
  const int64_t b = e / kI2sBlock, j = e % kI2sBlock;
  return (data[b * kI2sBlockBytes + j % 32] >> (6 - 2 * (j / 32))) & 3;
}
// I2_S: the per-tensor scale stored after the n/4 code bytes.
float i2_s_scale(const uint8_t* data, int64_t n);

}  // namespace lowbit
