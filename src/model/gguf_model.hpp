// A model file opened for inference: the GGUF (memory-mapped), the config
// read from its metadata by its family, its tokenizer and the model. Also
// the mapping between the tokenizer and GGUF's tokenizer.* keys, used both
// ways (loading, and `convert` / the trainer's export).
#pragma once

#include <memory>
#include <string>

#include "io/gguf_file.hpp"
#include "model/config.hpp"
#include "model/family.hpp"
#include "model/model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

struct LoadedModel {
  std::unique_ptr<GgufFile> file;  // owns the mapping the model's TensorRefs point into
  ModelConfig config;
  const ModelFamily* family = nullptr;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<Model> model;
};

LoadedModel load_gguf_model(const std::string& path, const ModelLoadOptions& opt = {});

// The family of a GGUF's general.architecture; an error naming the file and
// the families lowbit has when there is none.
const ModelFamily& family_of(const GgufFile& f);
// <arch>.* hyper-parameters, read by the file's family; errors name the file and the key.
ModelConfig config_from_gguf(const GgufFile& f);
// Writes the hyper-parameter keys of cfg (and general.architecture) as cfg.arch's family does.
void config_to_gguf(const ModelConfig& cfg, GgufMetadata& m);

// lowbit.blk.<l>.<proj>.{type,bits,act_bits,groups,nonneg,subln,threshold}:
// a projection stored as f32 shadow weights and run as that lowbit layer
// (docs/FORMATS.md). `tensor` is its GGUF name without ".weight"
// ("blk.0.attn_q"); layer_types_from_gguf fills ModelConfig::layer_types.
void layer_type_to_gguf(GgufMetadata& m, std::string_view tensor, LinearType type, const LinearOptions& opt);
void layer_types_from_gguf(const GgufMetadata& m, ModelConfig& c);

GgufVocab vocab_from_gguf(const GgufMetadata& m);
// Pads the vocabulary with unused "[PAD<id>]" tokens up to n (a model's
// embedding may have more rows than its tokenizer has tokens; GGUF readers
// expect one token per row). An error if it already has more than n.
void pad_vocab(GgufVocab& v, int64_t n);
void vocab_to_gguf(const GgufVocab& v, GgufMetadata& m);

// Tensors of a GGUF file by name, for the model (2-D: ne0 = cols, ne1 = rows).
TensorLookup gguf_tensor_lookup(const GgufFile& f);

}  // namespace lowbit
