#include "model/decoder_block.hpp"

#include <charconv>

#include <fmt/format.h>

namespace lowbit {

int64_t dim_of(const ModelConfig& c, Dim d) {
  switch (d) {
    case Dim::Embd: return c.n_embd;
    case Dim::QDim: return c.q_dim();
    case Dim::KvDim: return c.kv_dim();
    case Dim::Ff: return c.n_ff;
  }
  return 0;
}

std::string block_tensor_name(int64_t layer, std::string_view gguf, std::string_view suffix) {
  return fmt::format("blk.{}.{}{}", layer, gguf, suffix);
}

namespace {
// "blk.<n>.<rest>" -> (n, rest)
std::optional<std::pair<int64_t, std::string_view>> split_block(std::string_view name) {
  constexpr std::string_view kBlk = "blk.";
  if (!name.starts_with(kBlk)) return std::nullopt;
  name.remove_prefix(kBlk.size());
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  int64_t layer = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + dot, layer);
  if (ec != std::errc() || end != name.data() + dot) return std::nullopt;
  return std::pair{layer, name.substr(dot + 1)};
}
}  // namespace

std::optional<Proj> projection_of(std::string_view name) {
  const auto b = split_block(name);
  if (!b) return std::nullopt;
  for (const ProjectionSpec& p : kProjections)
    if (b->second.starts_with(p.gguf) && b->second.substr(p.gguf.size()) == ".weight") return p.proj;
  return std::nullopt;
}

std::optional<int64_t> layer_of(std::string_view name) {
  const auto b = split_block(name);
  if (!b) return std::nullopt;
  return b->first;
}

}  // namespace lowbit
