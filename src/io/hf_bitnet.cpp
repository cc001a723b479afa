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

float hf_weight_multiplier(float weight_scale, const HfBitnetConfig& c) {
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

HfTernaryWeight hf_read_ternary(const SafetensorsFile& f, const std::string& prefix, const HfBitnetConfig& c) {
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

namespace {
struct NamePair {
  std::string_view hf, gguf;
};
// Per-layer names (suffix after "model.layers.N.").
constexpr std::array<NamePair, 11> kLayer{{
    {"input_layernorm", "attn_norm"},
    {"self_attn.q_proj", "attn_q"},
    {"self_attn.k_proj", "attn_k"},
    {"self_attn.v_proj", "attn_v"},
    {"self_attn.o_proj", "attn_output"},
    {"self_attn.attn_sub_norm", "attn_sub_norm"},
    {"post_attention_layernorm", "ffn_norm"},
    {"mlp.gate_proj", "ffn_gate"},
    {"mlp.up_proj", "ffn_up"},
    {"mlp.down_proj", "ffn_down"},
    {"mlp.ffn_sub_norm", "ffn_sub_norm"},
}};
constexpr std::array<NamePair, 3> kGlobal{{
    {"model.embed_tokens", "token_embd"},
    {"model.norm", "output_norm"},
    {"lm_head", "output"},
}};

// Splits "X.weight" / "X.weight_scale" into X and the GGUF suffix.
std::optional<std::pair<std::string_view, std::string_view>> split_suffix(std::string_view n) {
  if (n.ends_with(".weight_scale")) return std::pair{n.substr(0, n.size() - 13), std::string_view(".scale")};
  if (n.ends_with(".weight")) return std::pair{n.substr(0, n.size() - 7), std::string_view(".weight")};
  return std::nullopt;
}
}  // namespace

std::optional<std::string> hf_to_gguf_name(std::string_view name) {
  const auto split = split_suffix(name);
  if (!split) return std::nullopt;
  const auto [base, suffix] = *split;
  for (const NamePair& p : kGlobal)
    if (base == p.hf && suffix == ".weight") return std::string(p.gguf) + std::string(suffix);
  constexpr std::string_view kLayers = "model.layers.";
  if (!base.starts_with(kLayers)) return std::nullopt;
  std::string_view rest = base.substr(kLayers.size());
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  unsigned layer = 0;
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + dot, layer);
  if (ec != std::errc() || end != rest.data() + dot) return std::nullopt;
  rest = rest.substr(dot + 1);
  for (const NamePair& p : kLayer)
    if (rest == p.hf) return fmt::format("blk.{}.{}{}", layer, p.gguf, suffix);
  return std::nullopt;
}

bool hf_is_ternary_projection(std::string_view n) {
  if (!n.starts_with("model.layers.") || !n.ends_with(".weight")) return false;
  for (std::string_view p : {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"})
    if (n.ends_with(std::string(p) + ".weight")) return true;
  return false;
}

void add_bitnet_gguf_hparams(GgufMetadata& m, const HfBitnetConfig& c, std::string_view arch) {
  const std::string a(arch);
  m.set("general.architecture", a);
  m.set(a + ".vocab_size", uint32_t(c.vocab_size));
  m.set(a + ".context_length", uint32_t(c.max_position_embeddings));
  m.set(a + ".embedding_length", uint32_t(c.hidden_size));
  m.set(a + ".block_count", uint32_t(c.num_hidden_layers));
  m.set(a + ".feed_forward_length", uint32_t(c.intermediate_size));
  m.set(a + ".rope.dimension_count", uint32_t(c.head_dim()));
  m.set(a + ".attention.head_count", uint32_t(c.num_attention_heads));
  m.set(a + ".attention.head_count_kv", uint32_t(c.num_key_value_heads));
  m.set(a + ".attention.layer_norm_rms_epsilon", c.rms_norm_eps);
  m.set(a + ".rope.freq_base", c.rope_theta);
}

}  // namespace lowbit
