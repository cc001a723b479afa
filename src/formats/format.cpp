#include "formats/format.hpp"

#include <array>

#include "core/error.hpp"
#include "formats/float_formats.hpp"
#include "formats/kquant_formats.hpp"
#include "formats/ternary_formats.hpp"

namespace lowbit {

namespace {
// One row per format. Rows for formats whose conversions are not written
// yet carry null function pointers. The head formats (head_capable) are the
// float ones and the ggml integer rows Q8_0, Q6_K, Q4_0 (issue 18).
constexpr bool kTernary = true, kExportable = true, kHead = true;
constexpr FormatTraits row(Format f, std::string_view name, int ggml_type, int64_t elems, int64_t bytes,
                           int64_t trailer, ToFloatFn to, FromFloatFn from, bool ternary, bool exportable,
                           bool head, DecodeTernaryBlockFn decode = nullptr) {
  return {f, name, ggml_type, elems, bytes, trailer, to, from, ternary, exportable, head, decode};
}
const std::array<FormatTraits, size_t(Format::kCount)> kFormats{{
    row(Format::F32, "f32", 0, 1, 4, 0, f32_to_float, f32_from_float, !kTernary, kExportable, kHead),
    row(Format::F16, "f16", 1, 1, 2, 0, f16_to_float, f16_from_float, !kTernary, kExportable, kHead),
    row(Format::BF16, "bf16", 30, 1, 2, 0, bf16_to_float, bf16_from_float, !kTernary, !kExportable, kHead),
    row(Format::Q8_0, "q8_0", 8, 32, 34, 0, q8_0_to_float, q8_0_from_float, !kTernary, !kExportable, kHead),
    row(Format::Q6_K, "q6_k", 14, 256, 210, 0, q6_k_to_float, q6_k_from_float, !kTernary, !kExportable, kHead),
    row(Format::TQ1_0, "tq1_0", 34, 256, 54, 0, tq1_0_to_float, tq1_0_from_float, kTernary, kExportable, !kHead,
        tq1_0_decode_block),
    row(Format::TQ2_0, "tq2_0", 35, 256, 66, 0, tq2_0_to_float, tq2_0_from_float, kTernary, kExportable, !kHead,
        tq2_0_decode_block),
    // One scale per tensor (in the trailer): its 128-element blocks are
    // lowbit's chunks byte for byte, so the repacker copies them.
    row(Format::I2_S, "i2_s", 36, 128, 32, 32, i2_s_to_float, i2_s_from_float, kTernary, kExportable, !kHead),
    row(Format::Q4_0, "q4_0", 2, 32, 18, 0, q4_0_to_float, q4_0_from_float, !kTernary, !kExportable, kHead),
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

std::string format_names_with(FormatRole role) {
  std::string names;
  for (const auto& f : kFormats)
    if (f.*role) names += (names.empty() ? "" : ", ") + std::string(f.name);
  return names;
}

const FormatTraits& require_format_with(std::string_view name, FormatRole role, std::string_view what) {
  const FormatTraits* f = find_format(name);
  LOWBIT_CHECK(f && (*f).*role, "{} '{}': expected one of {}", what, name, format_names_with(role));
  return *f;
}

int64_t format_bytes(const FormatTraits& f, int64_t n) {
  LOWBIT_CHECK(n % f.block_elems == 0, "{} tensor of {} elements: not a multiple of the block size {}", f.name, n,
               f.block_elems);
  return n / f.block_elems * f.block_bytes + f.tensor_trailer_bytes;
}

}  // namespace lowbit
