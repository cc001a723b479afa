#include <array>

#include "core/error.hpp"
#include "nn/bit_linear.hpp"
#include "nn/bit_linear158.hpp"
#include "nn/float_linear.hpp"
#include "nn/hbit_linear.hpp"
#include "nn/int8_linear.hpp"
#include "nn/linear_layer.hpp"

namespace lowbit {

namespace {
constexpr std::array<std::pair<LinearType, std::string_view>, 5> kNames{{
    {LinearType::Float, "float"},
    {LinearType::BitLinear, "bitlinear"},
    {LinearType::BitLinear158, "bitlinear158"},
    {LinearType::HBitLinear, "hbitlinear"},
    {LinearType::Int8, "int8"},
}};
}  // namespace

std::string_view linear_type_name(LinearType t) {
  for (auto& [type, name] : kNames)
    if (type == t) return name;
  return "?";
}

LinearType parse_linear_type(std::string_view s) {
  for (auto& [type, name] : kNames)
    if (name == s) return type;
  fail("unknown layer type '{}' (expected one of: float, bitlinear, bitlinear158, hbitlinear, int8)", s);
}

std::unique_ptr<LinearLayer> make_linear(LinearType type, Tensor w, const LinearOptions& opt) {
  LOWBIT_CHECK(w.dtype() == DType::F32 && w.shape().rank == 2, "a linear weight must be a 2-D f32 [out, in] tensor, got {} {}",
               dtype_name(w.dtype()), w.shape().str());
  switch (type) {
    case LinearType::Float: return std::make_unique<FloatLinear>(std::move(w));
    case LinearType::BitLinear: return std::make_unique<BitLinear>(std::move(w), opt);
    case LinearType::BitLinear158: return std::make_unique<BitLinear158>(std::move(w), opt);
    case LinearType::HBitLinear: return std::make_unique<HBitLinear>(std::move(w), opt);
    case LinearType::Int8: return std::make_unique<Int8Linear>(std::move(w), opt);
  }
  fail("layer type {} is not implemented", int(type));
}

}  // namespace lowbit
