#include "formats/format.hpp"

#include <array>

#include "core/error.hpp"
#include "formats/float_formats.hpp"
#include "formats/kquant_formats.hpp"
#include "formats/ternary_formats.hpp"

namespace lowbit {

namespace {
// One row per format. Rows for formats whose conversions are not written
// yet carry null function pointers (Q6_K: read only).
const std::array<FormatTraits, size_t(Format::kCount)> kFormats{{
    {Format::F32, "f32", 0, 1, 4, 0, f32_to_float, f32_from_float},
    {Format::F16, "f16", 1, 1, 2, 0, f16_to_float, f16_from_float},
    {Format::BF16, "bf16", 30, 1, 2, 0, bf16_to_float, bf16_from_float},
    {Format::Q8_0, "q8_0", 8, 32, 34, 0, q8_0_to_float, q8_0_from_float},
    {Format::Q6_K, "q6_k", 14, 256, 210, 0, q6_k_to_float, nullptr},
    {Format::TQ1_0, "tq1_0", 34, 256, 54, 0, tq1_0_to_float, tq1_0_from_float},
    {Format::TQ2_0, "tq2_0", 35, 256, 66, 0, tq2_0_to_float, tq2_0_from_float},
    {Format::I2_S, "i2_s", 36, 128, 32, 32, i2_s_to_float, i2_s_from_float},
}};
}  // namespace

const FormatTraits& format_traits(Format f) { return kFormats[size_t(f)]; }

std::span<const FormatTraits> all_formats() { return kFormats; }

const FormatTraits* find_format(std::string_view name) {
  for (const auto& f : kFormats)
    if (f.name == name) return &f;
  return nullptr;
}

const FormatTraits* find_ggml_type(int ggml_type, bool bitnet_fork) {
  if (ggml_type == 36 && !bitnet_fork) return nullptr;
  for (const auto& f : kFormats)
    if (f.ggml_type == ggml_type) return &f;
  return nullptr;
}

int64_t format_bytes(const FormatTraits& f, int64_t n) {
  LOWBIT_CHECK(n % f.block_elems == 0, "{} tensor of {} elements: not a multiple of the block size {}", f.name, n,
               f.block_elems);
  return n / f.block_elems * f.block_bytes + f.tensor_trailer_bytes;
}

}  // namespace lowbit
