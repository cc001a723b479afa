// The token table of a tokenizer.json: model.vocab and added_tokens give
// each token an id, in any order; the ids must cover 0..n-1 exactly once
// each. Shared by the byte-level and the SentencePiece-style readers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/gguf_vocab.hpp"

namespace lowbit {

class HfVocabTable {
 public:
  // n_entries: model.vocab's size plus added_tokens'. An id at or beyond it
  // leaves a hole, so it is an error, caught before it sizes an allocation.
  HfVocabTable(int64_t n_entries, std::string_view source) : n_entries_(n_entries), source_(source) {}

  // Sets token `id` (`what` names the entry in errors).
  void place(int64_t id, std::string text, TokenType type, std::string_view what);
  // Every entry of the added_tokens array (special ones are Control, the
  // others UserDefined); each needs an integer "id" and a non-empty "content".
  void place_added(const nlohmann::json& added);
  // Checks that no id is missing and hands over the texts and types by id.
  void finish(std::vector<std::string>& texts, std::vector<TokenType>& types);

 private:
  int64_t n_entries_;
  std::string source_;
  std::vector<std::string> texts_;
  std::vector<TokenType> types_;
  std::vector<bool> seen_;
};

}  // namespace lowbit
