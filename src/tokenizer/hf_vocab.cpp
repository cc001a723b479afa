#include "tokenizer/hf_vocab.hpp"

#include "core/error.hpp"

namespace lowbit {

void HfVocabTable::place(int64_t id, std::string text, TokenType type, std::string_view what) {
  LOWBIT_CHECK(id >= 0 && id < n_entries_, "{}: {} has id {}, outside 0..{}", source_, what, id, n_entries_ - 1);
  if (size_t(id) >= texts_.size()) {
    texts_.resize(size_t(id) + 1);
    types_.resize(size_t(id) + 1, TokenType::Normal);
    seen_.resize(size_t(id) + 1);
  }
  texts_[size_t(id)] = std::move(text);
  types_[size_t(id)] = type;
  seen_[size_t(id)] = true;
}

void HfVocabTable::place_added(const nlohmann::json& added) {
  for (const nlohmann::json& a : added) {
    LOWBIT_CHECK(a.is_object() && a.contains("id") && a["id"].is_number_integer() && a.contains("content") &&
                     a["content"].is_string(),
                 "{}: added_tokens entry without integer 'id' and string 'content'", source_);
    const std::string content = a["content"].get<std::string>();
    LOWBIT_CHECK(!content.empty(), "{}: added token {} is empty", source_, a["id"].get<int64_t>());
    place(a["id"].get<int64_t>(), content, a.value("special", false) ? TokenType::Control : TokenType::UserDefined,
          "added token '" + content + "'");
  }
}

void HfVocabTable::finish(std::vector<std::string>& texts, std::vector<TokenType>& types) {
  LOWBIT_CHECK(!texts_.empty(), "{}: empty vocabulary", source_);
  for (size_t i = 0; i < seen_.size(); ++i) LOWBIT_CHECK(seen_[i], "{}: no token has id {}", source_, i);
  texts = std::move(texts_);
  types = std::move(types_);
  texts_ = {};
  types_ = {};
}

}  // namespace lowbit
