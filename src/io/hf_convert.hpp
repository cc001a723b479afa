// Converts a Hugging Face BitNet b1.58 directory (config.json +
// model.safetensors, packed or bf16) into a GGUF file with llama.cpp's tensor
// names and bitnet-b1.58 metadata. Norms are written F32, other float
// tensors F16; the seven ternary projections go through `pack_ternary` when
// one is given (the packed formats of formats/), else as F16 dequantized
// weights. One tensor is in memory at a time; the output is written atomically.
// The tokenizer is not converted here (tokenizer/ owns tokenizer.json).
#pragma once

#include <functional>
#include <span>
#include <string>

#include "formats/format.hpp"
#include "io/hf_bitnet.hpp"

namespace lowbit {

struct HfConvertOptions {
  std::string arch = "bitnet-b1.58";
  // Output format of the ternary projections; F16 or F32 need no packer.
  const FormatTraits* ternary_format = &format_traits(Format::F16);
  // Writes `w` (values in {-1,0,1}, [rows, cols], multiplier w.scale) in
  // ternary_format into `out` (format_bytes(ternary_format, rows*cols) bytes).
  std::function<void(const HfTernaryWeight& w, std::span<std::byte> out)> pack_ternary;
  // Adds keys before the file is written (the tokenizer's, from `lowbit convert`).
  std::function<void(GgufMetadata& m)> add_metadata;
  // Called after each tensor is written: (tensors done, tensors in all).
  std::function<void(size_t done, size_t total)> progress;
};

void hf_convert_bitnet(const std::string& hf_dir, const std::string& out_path, const HfConvertOptions& opt = {});

}  // namespace lowbit
