// A model family: everything lowbit knows about one GGUF architecture in one
// description (the arch name and the names it also answers to, metadata
// defaults and keys, block structure, rope pairing, the Hugging Face layout
// it converts from and the arch a converted file gets). Families live one
// per file in src/model/families/ and are listed by the build (adding a file
// there adds the family: see docs/ARCHITECTURE.md). Tensor names and shapes
// of the block are in model/decoder_block.hpp.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "formats/format.hpp"
#include "io/gguf_metadata.hpp"
#include "model/config.hpp"
#include "model/decoder_block.hpp"
#include "model/model.hpp"
#include "model/tensor_ref.hpp"

namespace lowbit {

class GgufFile;

struct ModelLoadOptions {
  bool int8 = false;  // run float projections through LLM.int8 (Int8Linear)
  float int8_threshold = 6.0f;
  // Run float projections whose values are ternary x scale (llama.cpp's f16
  // `bitnet` files) as W1.58 x A8 with BitNet's activation quantization.
  bool ternary_float_weights = false;
  // The output head's format (--head-type: f16, q8_0, q6_k, q4_0), null for
  // the file's. A tied head quantized here keeps embedding tokens from the
  // file's rows.
  const FormatTraits* head_type = nullptr;
  // Re-score this many candidates of the low-bit head with the f16 rows
  // (--exact-greedy; model/exact_head.hpp); 0 = off.
  int exact_greedy_k = 0;
};

// One tensor of a family whose block is not the shared decoder's
// (decoder_block.hpp describes that one): its GGUF and Hugging Face names,
// its shape as HF stores it ([rows, cols] or [n]) and what it is, which
// decides how `convert` and `random-model` write it.
enum class TensorRole : uint8_t {
  Embedding,   // float rows looked up by token id (F16 when converted)
  Projection,  // a weight matrix in the projection type (ternarized from latent weights)
  Vector       // norms and other small float parameters (F32)
};
struct FamilyTensor {
  std::string gguf, hf;
  std::vector<int64_t> shape;
  TensorRole role;
};

struct HfLayout {
  ModelConfig config;
  std::vector<FamilyTensor> tensors;
};

class ModelFamily {
 public:
  std::string_view name;                     // general.architecture it writes
  std::vector<std::string_view> also_reads;  // other architecture names read the same way
  std::string_view about;                    // one line for `lowbit info`

  // Block structure.
  FfnAct ffn_act = FfnAct::Silu;         // default gate activation
  bool reads_hidden_activation = false;  // `<arch>.hidden_activation` may change it
  RopeStyle rope_style = RopeStyle::Neox;
  bool sub_norms = false;          // attn_sub_norm / ffn_sub_norm in every block
  bool projection_scales = false;  // optional blk.N.<proj>.scale tensors
  bool ternary_by_default = true;  // projections are ternary (random-model, quantize)
  int64_t default_ctx = 2048;      // when <arch>.context_length is absent

  // Hugging Face layout.
  std::vector<std::string_view> hf_classes;           // config.json "architectures" it converts
  std::array<std::string_view, kNormCount> hf_norms;  // HF names of kNorms (after model.layers.N.)
  bool hf_permute_qk = false;                         // HF q/k rows are in rotate_half order; the GGUF's in pairs
  // The architecture name a converted file gets for a projection type: a
  // file llama.cpp runs for TQ1_0/TQ2_0/F16, one bitnet.cpp runs for I2_S.
  std::string_view (*gguf_arch_for)(Format projection_type) = nullptr;

  // Family-specific keys beyond the common ones (may be null).
  void (*read_keys)(const GgufMetadata& m, const std::string& arch, ModelConfig& c) = nullptr;
  void (*write_keys)(const ModelConfig& c, GgufMetadata& m) = nullptr;
  // The model of a family whose block is not the shared decoder's (the
  // recurrent matmul-free family); null: DecoderModel.
  std::unique_ptr<Model> (*make_model)(const ModelFamily& f, const ModelConfig& c, const TensorLookup& lookup,
                                       const ModelLoadOptions& opt) = nullptr;

  // The tensors of a family whose layout is its own (null: the decoder's of
  // decoder_block.hpp), for a model with config c (c.tied_output: the head's
  // HF source is the embedding). `convert` and `random-model` write these.
  std::vector<FamilyTensor> (*tensors)(const ModelConfig& c) = nullptr;
  // Its Hugging Face layout: config.json read and checked (errors name the
  // key) and the tensors that config implies; null: io/hf_config's decoder
  // reading and decoder_block's names.
  HfLayout (*read_hf_layout)(const std::string& config_json_path) = nullptr;

  bool reads(std::string_view arch) const;
  // <arch>.* keys -> config, checked; errors name the key.
  ModelConfig read_config(const GgufFile& f) const;
  void write_config(const ModelConfig& c, GgufMetadata& m) const;
  // The model over tensors named as in model/decoder_block.hpp.
  std::unique_ptr<Model> load(const ModelConfig& c, const TensorLookup& lookup, const ModelLoadOptions& opt) const;
};

std::span<const ModelFamily* const> all_families();
// The family that reads GGUF architecture `arch`, or null.
const ModelFamily* find_family(std::string_view arch);
// The family that converts a Hugging Face class (config.json
// "architectures"[0]), or null.
const ModelFamily* find_hf_family(std::string_view hf_class);
// The names of all families, for error messages: "bitnet, bitnet-b1.58, llama".
std::string family_names();

}  // namespace lowbit
