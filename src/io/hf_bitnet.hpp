// Hugging Face's packed ternary weights (microsoft/bitnet-b1.58-2B-4T and
// transformers' BitNet quantization): ternary values packed 4 per uint8
// along the output dimension, with a per-tensor weight_scale. Tensor names
// belong to the model families (model/family.hpp). docs/FORMATS.md gives
// the sources.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/hf_config.hpp"
#include "io/safetensors_file.hpp"

namespace lowbit {

// Unpacks a packed weight of shape [rows/4, cols] (transformers
// integrations/bitnet.py pack_weights): with R = rows/4, output row
// o = k*R + r sits in bits 2k+1..2k of packed[r, :], stored as value + 1.
// Returns int8 [rows, cols] in {-1, 0, 1}; the code 3 is an Error naming `what`.
std::vector<int8_t> hf_unpack_ternary(std::span<const uint8_t> packed, int64_t packed_rows, int64_t cols,
                                      std::string_view what = "packed weight");
// The inverse (for tests and for writing checkpoints in the HF layout);
// rows must be a multiple of 4.
std::vector<uint8_t> hf_pack_ternary(std::span<const int8_t> w, int64_t rows, int64_t cols);

// What multiplies the unpacked ternary values to give the layer's weight.
// transformers' BitLinear (linear_class "bitlinear", the default) computes
// y = (W~ x_q) / (weight_scale * input_scale), i.e. W = W~ / weight_scale;
// AutoBitLinear ("autobitlinear") computes y = (W~ x) * weight_scale.
float hf_weight_multiplier(float weight_scale, const HfConfig& c);

struct HfTernaryWeight {
  std::vector<int8_t> values;  // [rows, cols], row-major, in {-1, 0, 1}
  int64_t rows = 0, cols = 0;
  float scale = 1;             // W = values * scale
};
// Reads `<prefix>.weight` (U8 [rows/4, cols]) and `<prefix>.weight_scale`
// (one BF16/F16/F32 value) from a packed checkpoint.
HfTernaryWeight hf_read_ternary(const SafetensorsFile& f, const std::string& prefix, const HfConfig& c);

// One float of a BF16/F16/F32 tensor holding a single value.
float hf_read_scalar(const SafetensorsFile& f, const SafetensorsTensor& t);

}  // namespace lowbit
