#include "formats/float_formats.hpp"

#include <cstring>

#include "core/half.hpp"

namespace lowbit {

void f32_to_float(const void* src, float* dst, int64_t n) { std::memcpy(dst, src, size_t(n) * 4); }
void f32_from_float(const float* src, void* dst, int64_t n) { std::memcpy(dst, src, size_t(n) * 4); }

namespace {

// 16-bit floats element by element through memcpy: file data may be
// unaligned (mmap'd GGUF).
template <float (*Widen)(uint16_t)>
void halves_to_float(const void* src, float* dst, int64_t n) {
  const auto* p = static_cast<const unsigned char*>(src);
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, p + 2 * i, 2);
    dst[i] = Widen(h);
  }
}

template <uint16_t (*Narrow)(float)>
void halves_from_float(const float* src, void* dst, int64_t n) {
  auto* p = static_cast<unsigned char*>(dst);
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = Narrow(src[i]);
    std::memcpy(p + 2 * i, &h, 2);
  }
}

}  // namespace

void f16_to_float(const void* src, float* dst, int64_t n) { halves_to_float<fp16_to_f32>(src, dst, n); }
void f16_from_float(const float* src, void* dst, int64_t n) { halves_from_float<f32_to_fp16>(src, dst, n); }
void bf16_to_float(const void* src, float* dst, int64_t n) { halves_to_float<bf16_to_f32>(src, dst, n); }
void bf16_from_float(const float* src, void* dst, int64_t n) { halves_from_float<f32_to_bf16>(src, dst, n); }

}  // namespace lowbit
