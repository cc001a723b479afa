#include "model/hgrn_hf_config.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/hf_config.hpp"

namespace lowbit {

namespace {

using json = nlohmann::json;

// The value of `key`, or `fallback` when absent or null.
template <class T>
T get(const json& j, const char* key, T fallback, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    fail("{}: '{}' is {}, not of the expected type", src, key, it->dump());
  }
}

int64_t count(const json& j, const char* key, int64_t fallback, int64_t max, const std::string& src) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  // Checked before any conversion: a float or a huge value is an error, not a cast.
  LOWBIT_CHECK(it->is_number_integer(), "{}: '{}' is {}, expected an integer", src, key, it->dump());
  const bool fits = it->is_number_unsigned() ? it->get<uint64_t>() >= 1 && it->get<uint64_t>() <= uint64_t(max)
                                             : it->get<int64_t>() >= 1 && it->get<int64_t>() <= max;
  LOWBIT_CHECK(fits, "{}: '{}' is {}, expected 1 to {}", src, key, it->dump(), max);
  return it->get<int64_t>();
}

}  // namespace

HgrnHfConfig parse_hgrn_hf_config(std::string_view text, const std::string& src) {
  const json j = parse_config_object(text, src);
  constexpr int64_t kMaxDim = int64_t(1) << 20;
  ModelConfig c;
  c.n_vocab = count(j, "vocab_size", 32000, int64_t(1) << 24, src);
  c.n_embd = count(j, "hidden_size", 2048, kMaxDim, src);
  c.n_layer = count(j, "num_hidden_layers", 24, 4096, src);
  c.n_head = c.n_head_kv = count(j, "num_heads", 1, kMaxDim, src);
  const int64_t expand = count(j, "expand_ratio", 1, 64, src);
  LOWBIT_CHECK((c.n_embd * expand) % c.n_head == 0, "{}: 'num_heads' {} does not divide hidden_size x expand_ratio {}",
               src, c.n_head, c.n_embd * expand);
  c.head_dim = c.n_embd * expand / c.n_head;
  const std::string mode = get<std::string>(j, "attn_mode", "fused_recurrent", src);
  LOWBIT_CHECK(mode == "fused_recurrent", "{}: 'attn_mode' is '{}'; HGRNBitAttention has only 'fused_recurrent'", src,
               mode);
  LOWBIT_CHECK(!get<bool>(j, "use_short_conv", false, src),
               "{}: 'use_short_conv' is true: the short convolution is not supported (MMfreeLM does not use it)", src);
  const bool lower_bounds = get<bool>(j, "use_lower_bound", true, src);
  if (lower_bounds)
    LOWBIT_CHECK(expand == 1, "{}: 'use_lower_bound' needs 'expand_ratio' 1 (the bounds are hidden_size wide), not {}",
                 src, expand);
  // HGRNBitMLP: intermediate_size, else int(D * hidden_ratio * 2/3) rounded up to 256.
  const int64_t ratio = count(j, "hidden_ratio", 4, 64, src);
  const int64_t def_ff = (c.n_embd * ratio * 2 / 3 + 255) / 256 * 256;
  c.n_ff = count(j, "intermediate_size", def_ff, kMaxDim, src);
  c.n_ctx_train = count(j, "max_position_embeddings", 2048, int64_t(1) << 21, src);
  const double eps = get<double>(j, "rms_norm_eps", 1e-6, src);
  LOWBIT_CHECK(eps > 0 && eps < 1, "{}: 'rms_norm_eps' is {}, expected a number in (0, 1)", src, eps);
  c.rms_eps = float(eps);
  c.tied_output = get<bool>(j, "tie_word_embeddings", false, src);
  c.ffn_act = FfnAct::Silu;  // swiglu whatever hidden_act says (HGRNBitMLP.forward)
  c.sub_norms = false;
  c.arch = "hgrn-bit";
  try {
    c.validate();
  } catch (const Error& e) {
    fail("{}: {}", src, e.what());
  }
  return {c, lower_bounds};
}

HgrnHfConfig load_hgrn_hf_config(const std::string& path) { return parse_hgrn_hf_config(read_file(path), path); }

}  // namespace lowbit
