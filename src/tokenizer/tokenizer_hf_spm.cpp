// Hugging Face tokenizer.json of the LLaMA-2 / Mistral kind: model BPE with
// byte_fallback, pieces with "▁", <0xXX> byte tokens, normalizer
// Prepend("▁") + Replace(" ", "▁") (or a Metaspace pre-tokenizer).
//
// tokenizer.json has merges, not scores. The scores are the merge ranks: the
// token a merge makes gets -rank (the first merge that makes it), so the
// score-driven SentencePiece merge order is the merge-rank order of HF's BPE.
// (llama.cpp's LlamaHfVocab writes -1000 for every token instead, which makes
// every merge a tie; we do not copy that.)
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "tokenizer/hf_merge.hpp"
#include "tokenizer/hf_vocab.hpp"
#include "tokenizer/spm_model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

namespace {
using nlohmann::json;

// Whether the normalizer or pre-tokenizer puts "▁" before the text: a
// Prepend("▁") normalizer (LLaMA-2) or a Metaspace that prepends.
bool prepends_space(const json& j) {
  bool found = false;
  std::function<void(const json&, int)> walk = [&](const json& n, int depth) {
    if (depth > 16 || found) return;  // bounded: a hostile file must not exhaust the stack
    if (n.is_object()) {
      const std::string type = n.contains("type") && n["type"].is_string() ? n["type"].get<std::string>() : "";
      if (type == "Prepend" && n.contains("prepend") && n["prepend"] == std::string(kSpmSpace)) found = true;
      if (type == "Metaspace") {
        if (n.contains("prepend_scheme") && n["prepend_scheme"].is_string())
          found |= n["prepend_scheme"].get<std::string>() != "never";
        else if (n.contains("add_prefix_space") && n["add_prefix_space"].is_boolean())
          found |= n["add_prefix_space"].get<bool>();
      }
    }
    if (n.is_object() || n.is_array())
      for (const json& e : n) walk(e, depth + 1);
  };
  for (const char* key : {"normalizer", "pre_tokenizer"})
    if (j.contains(key)) walk(j[key], 0);
  return found;
}
}  // namespace

Tokenizer Tokenizer::from_hf_json_spm(std::string_view text, std::string_view source) {
  const json j = json::parse(text);  // already parsed once by from_hf_json: valid
  const json& model = j["model"];
  const json& vocab = model["vocab"];
  const json empty = json::array();
  const json& added = j.contains("added_tokens") && j["added_tokens"].is_array() ? j["added_tokens"] : empty;

  Tokenizer t;
  HfVocabTable table(int64_t(vocab.size() + added.size()), source);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    LOWBIT_CHECK(it->is_number_integer(), "{}: model.vocab['{}'] is not an integer id", source, it.key());
    LOWBIT_CHECK(!it.key().empty(), "{}: model.vocab has an empty token", source);
    const TokenType ty = spm_byte_of_piece(it.key()) >= 0 ? TokenType::Byte : TokenType::Normal;
    table.place(it->get<int64_t>(), it.key(), ty, "model.vocab['" + it.key() + "']");
  }
  table.place_added(added);
  std::vector<std::string> pieces;
  table.finish(pieces, t.types_);

  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    const std::string unk = model["unk_token"].get<std::string>();
    LOWBIT_CHECK(vocab.contains(unk), "{}: model.unk_token '{}' is not in model.vocab", source, unk);
    t.unk_ = TokenId(vocab[unk].get<int64_t>());
    t.types_[size_t(t.unk_)] = TokenType::Unknown;
  }

  // Scores from the merge ranks (see the top of the file).
  std::vector<float> scores(pieces.size(), 0.0f);
  std::vector<bool> scored(pieces.size());
  auto id_of = [&](const std::string& piece, size_t i) -> TokenId {
    auto it = vocab.find(piece);
    LOWBIT_CHECK(it != vocab.end(), "{}: model.merges[{}]: '{}' is not a token", source, i, piece);
    return TokenId(it->get<int64_t>());
  };
  const json& merges = model.contains("merges") ? model["merges"] : empty;
  LOWBIT_CHECK(merges.is_array(), "{}: model.merges is not an array", source);
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::array<std::string, 2> parts = parse_hf_merge(merges[i], source, i);
    (void)id_of(parts[0], i);
    (void)id_of(parts[1], i);
    const TokenId merged = id_of(parts[0] + parts[1], i);
    if (!scored[size_t(merged)]) {
      scores[size_t(merged)] = -float(i);
      scored[size_t(merged)] = true;
    }
  }
  // Normal tokens no merge makes (single characters, mostly) rank after all
  // merges, in id order, as in a SentencePiece model.
  for (size_t i = 0; i < pieces.size(); ++i)
    if (!scored[i] && t.types_[i] == TokenType::Normal) scores[i] = -float(merges.size() + i);

  t.add_space_prefix_ = prepends_space(j);
  t.init_sentencepiece(StringList(pieces), std::move(scores), source);
  t.guess_special_ids();
  return t;
}

}  // namespace lowbit
