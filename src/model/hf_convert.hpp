// `lowbit convert`: a Hugging Face checkpoint directory (config.json, one or
// more safetensors files, tokenizer.json) to a GGUF file, for every family
// whose description names the checkpoint's class (model/family.hpp):
//  - BitNetForCausalLM (2B4T): packed uint8 ternary + weight_scale;
//  - BitnetForCausalLM (1bitLLM): full-precision latent weights, ternarized
//    per tensor with absmean at conversion, as llama.cpp's converter does;
//  - LlamaForCausalLM with a BitNet quantization_config (packed + weight_scale)
//    or plain float weights; Q/K rows permuted for llama.cpp's rope pairing;
//  - a family with a layout of its own (ModelFamily::read_hf_layout: the
//    tensor list and config its config.json implies), e.g.
//    HGRNBitForCausalLM (MMfreeLM): latent weights ternarized with absmean.
// Every tensor is checked against config.json first (missing, unexpected or
// misshapen tensors, absurd counts are errors naming the tensor or field), so
// a file `generate` would refuse is never written. The projections are
// written in the chosen type under the architecture a peer runs (llama.cpp
// for TQ1_0/TQ2_0/F16, bitnet.cpp for I2_S), norms F32, other float tensors
// F16. One tensor is in memory at a time; the output is written atomically.
#pragma once

#include <functional>
#include <string>

#include "formats/format.hpp"
#include "model/family.hpp"

namespace lowbit {

struct ConvertOptions {
  // Projection type: tq2_0, tq1_0, i2_s, f16 or f32; null: i2_s for a
  // ternary checkpoint, f16 for a float one.
  const FormatTraits* type = nullptr;
  // The architecture the caller expects (empty: any); the one the type
  // implies is written, and a different one here is an error.
  std::string arch;
  // Called after each tensor is written: (tensors done, tensors in all).
  std::function<void(size_t done, size_t total)> progress;
};

struct ConvertResult {
  const ModelFamily* source = nullptr;  // the family that read the checkpoint
  std::string arch;                     // the architecture written
  const FormatTraits* type = nullptr;   // the projections' type
  bool ternary = false;                 // the checkpoint's projections are ternary
};

ConvertResult convert_hf(const std::string& hf_dir, const std::string& out_path, const ConvertOptions& opt = {});

}  // namespace lowbit
