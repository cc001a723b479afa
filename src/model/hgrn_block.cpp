#include "model/hgrn_block.hpp"

#include <fmt/format.h>

#include "model/decoder_block.hpp"

namespace lowbit {

int64_t hgrn_dim(const ModelConfig& c, HgrnDim d) {
  switch (d) {
    case HgrnDim::Embd: return c.n_embd;
    case HgrnDim::Width: return c.q_dim();
    case HgrnDim::Ff: return c.n_ff;
    case HgrnDim::Ff2: return 2 * c.n_ff;
  }
  return 0;
}

std::vector<FamilyTensor> hgrn_tensors(const ModelConfig& c, bool lower_bounds) {
  const int64_t V = c.n_vocab, D = c.n_embd;
  std::vector<FamilyTensor> t;
  t.push_back({std::string(kTokenEmbd), std::string(kHgrnHfEmbd), {V, D}, TensorRole::Embedding});
  if (lower_bounds)
    t.push_back({std::string(kHgrnLowerBounds), std::string(kHgrnHfLowerBounds), {c.n_layer, D}, TensorRole::Vector});
  for (int64_t l = 0; l < c.n_layer; ++l) {
    const std::string pre = fmt::format("{}{}.", kHfLayerPrefix, l);
    for (const HgrnNormSpec& n : kHgrnNorms)
      t.push_back({block_tensor_name(l, n.gguf),
                   pre + std::string(n.hf) + ".weight",
                   {hgrn_dim(c, n.dim)},
                   TensorRole::Vector});
    for (const HgrnProjSpec& p : kHgrnProjections) {
      const int64_t out = hgrn_dim(c, p.out), in = hgrn_dim(c, p.in);
      t.push_back(
          {block_tensor_name(l, p.gguf), pre + std::string(p.hf) + ".weight", {out, in}, TensorRole::Projection});
      t.push_back(
          {block_tensor_name(l, p.gguf, ".norm"), pre + std::string(p.hf) + ".norm.weight", {in}, TensorRole::Vector});
    }
  }
  t.push_back({std::string(kOutputNorm), std::string(kHfOutputNorm), {D}, TensorRole::Vector});
  // A tied head's latent weight is the embedding (ternarized in the head only).
  t.push_back(
      {std::string(kOutput), std::string(c.tied_output ? kHgrnHfEmbd : kHfOutput), {V, D}, TensorRole::Projection});
  t.push_back({std::string(kHgrnOutputInNorm),
               std::string(kHfOutput.substr(0, kHfOutput.size() - 7)) + ".norm.weight",
               {D},
               TensorRole::Vector});
  return t;
}

}  // namespace lowbit
