// One entry of a tokenizer.json's model.merges: the "left right" string of
// older files or the ["left", "right"] pair of newer ones. Shared by the
// byte-level and the SentencePiece-style readers.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lowbit {

// Errors name `source` and the entry's index.
std::array<std::string, 2> parse_hf_merge(const nlohmann::json& m, std::string_view source, size_t index);

}  // namespace lowbit
