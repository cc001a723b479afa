#include "io/hf_bitnet.hpp"

#include <array>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/half.hpp"

namespace lowbit {

std::vector<int8_t> hf_unpack_ternary(std::span<const uint8_t> packed, int64_t packed_rows, int64_t cols,
                                      std::string_view what) {
  LOWBIT_CHECK(packed_rows >= 0 && cols >= 0 && uint64_t(packed_rows) * uint64_t(cols) == packed.size(),
               "{}: {} bytes do not make a [{}, {}] packed matrix", what, packed.size(), packed_rows, cols);
  const int64_t rows = packed_rows * 4;
  std::vector<int8_t> w(size_t(rows * cols));
  for (int64_t r = 0; r < packed_rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const uint8_t byte = packed[size_t(r * cols + c)];
      for (int k = 0; k < 4; ++k) {
        const int code = (byte >> (2 * k)) & 3;
        LOWBIT_CHECK(code != 3, "{}: byte [{}, {}] holds the invalid 2-bit code 3", what, r, c);
        w[size_t((k * packed_rows + r) * cols + c)] = int8_t(code - 1);
      }
    }
  return w;
}

std::vector<uint8_t> hf_pack_ternary(std::span<const int8_t> w, int64_t rows, int64_t cols) {
  LOWBIT_CHECK(rows % 4 == 0 && uint64_t(rows) * uint64_t(cols) == w.size(),
               "hf_pack_ternary: [{}, {}] needs rows divisible by 4 and {} values", rows, cols, w.size());
  const int64_t pr = rows / 4;
  std::vector<uint8_t> p(size_t(pr * cols), 0);
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t c = 0; c < cols; ++c) {
      const int v = w[size_t(o * cols + c)];
      LOWBIT_CHECK(v >= -1 && v <= 1, "hf_pack_ternary: value {} at [{}, {}] is not ternary", v, o, c);
      p[size_t((o % pr) * cols + c)] |= uint8_t((v + 1) << (2 * (o / pr)));
    }
  return p;
}

float hf_weight_multiplier(float weight_scale, const HfConfig& c) {
  LOWBIT_CHECK(weight_scale > 0 && std::isfinite(weight_scale), "weight_scale {} is not a positive number",
               weight_scale);
  return c.linear_class == "autobitlinear" ? weight_scale : 1.0f / weight_scale;
}

float hf_read_scalar(const SafetensorsFile& f, const SafetensorsTensor& t) {
  LOWBIT_CHECK(t.numel() == 1, "{}: tensor '{}' should hold one value, has {}", f.path(), t.name, t.numel());
  const auto d = f.data(t);
  const std::string_view dt = t.dtype->name;
  uint16_t h;
  if (dt == "F32") {
    float x;
    std::memcpy(&x, d.data(), 4);
    return x;
  }
  std::memcpy(&h, d.data(), std::min<size_t>(2, d.size()));
  if (dt == "BF16") return bf16_to_f32(h);
  if (dt == "F16") return fp16_to_f32(h);
  fail("{}: tensor '{}' has dtype {}, expected BF16, F16 or F32", f.path(), t.name, dt);
}

HfTernaryWeight hf_read_ternary(const SafetensorsFile& f, const std::string& prefix, const HfConfig& c) {
  const SafetensorsTensor& w = f.tensor(prefix + ".weight");
  LOWBIT_CHECK(w.dtype->name == "U8" && w.shape.size() == 2, "{}: '{}' is {} of rank {}, expected packed U8 [out/4, in]",
               f.path(), w.name, w.dtype->name, w.shape.size());
  HfTernaryWeight out;
  out.rows = w.shape[0] * 4;
  out.cols = w.shape[1];
  const auto bytes = f.data(w);
  out.values = hf_unpack_ternary({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, w.shape[0],
                                 w.shape[1], f.path() + ": " + w.name);
  const float ws = hf_read_scalar(f, f.tensor(prefix + ".weight_scale"));
  out.scale = hf_weight_multiplier(ws, c);
  return out;
}

}  // namespace lowbit
