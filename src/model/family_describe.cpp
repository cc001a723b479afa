#include "model/family_describe.hpp"

#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "model/decoder_block.hpp"
#include "model/family.hpp"
#include "model/gguf_model.hpp"

namespace lowbit {

namespace {

std::string type_counts(const std::map<std::string, int>& counts) {
  std::string s;
  for (const auto& [type, n] : counts) s += fmt::format("{}{} x {}", s.empty() ? "" : ", ", type, n);
  return s.empty() ? "none" : s;
}

}  // namespace

std::string describe_family(const GgufFile& f) {
  const ModelFamily* fam = find_family(f.architecture());
  if (!fam)
    return fmt::format("\nmodel: architecture '{}' is not one lowbit runs ({})\n", f.architecture(), family_names());
  std::string out = fmt::format("\nmodel:\n  family:       {} ({})\n", fam->name, fam->about);
  ModelConfig c;
  try {
    c = fam->read_config(f);
  } catch (const Error& e) {
    return out + fmt::format("  config:       cannot be run: {}\n", e.what());
  }
  out += fmt::format("  shape:        {} layers, d={}, heads={}/{} (kv), head_dim={}, ff={}, vocab={}, context {}\n",
                     c.n_layer, c.n_embd, c.n_head, c.n_head_kv, c.head_dim, c.n_ff, c.n_vocab, c.n_ctx_train);
  if (fam->tensors) {
    // A family with its own layout (hgrn-bit): its projections by its list.
    std::map<std::string, int> proj;
    for (const FamilyTensor& t : fam->tensors(c))
      if (const GgufTensorInfo* i = t.role == TensorRole::Projection ? f.find_tensor(t.gguf) : nullptr)
        ++proj[i->type_name()];
    return out + fmt::format("  block:        its own ({}), no attention and no KV cache\n  projections:  {}\n",
                             fam->about, type_counts(proj));
  }
  std::string rope = c.rope_style == RopeStyle::Neox ? "pairs (i, i+d/2)" : "adjacent pairs";
  if (c.rope_freq_scale != 1.0f) rope += fmt::format(", linear scaling x{}", 1.0f / c.rope_freq_scale);
  if (f.find_tensor(kRopeFreqs)) rope += ", per-frequency factors (rope_freqs)";
  out += fmt::format("  block:        gate {}, rope {} base {}, {}\n", ffn_act_name(c.ffn_act), rope, c.rope_theta,
                     c.sub_norms ? "sub-norms before o_proj and down_proj" : "no sub-norms");
  std::map<std::string, int> proj;
  for (const GgufTensorInfo& t : f.tensors())
    if (projection_of(t.name)) ++proj[t.type_name()];
  out += fmt::format("  projections:  {}\n", type_counts(proj));
  const GgufTensorInfo* head = f.find_tensor(kOutput);
  const GgufTensorInfo* embd = f.find_tensor(kTokenEmbd);
  out += fmt::format("  head:         {}\n",
                     head ? head->type_name() + " (output.weight)"
                          : (embd ? embd->type_name() : std::string("?")) + " (tied to token_embd)");
  return out;
}

}  // namespace lowbit
