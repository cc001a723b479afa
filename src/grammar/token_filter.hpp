// Which tokens a grammar allows next. The vocabulary's byte strings are
// sorted once (TokenVocabulary), so tokens that share a prefix share the
// work of matching it: the filter walks them in order, keeping the parse
// state after each byte of the current prefix, and a prefix no parse
// survives rules out every token that starts with it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "grammar/matcher.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit::grammar {

class TokenVocabulary {
 public:
  explicit TokenVocabulary(const Tokenizer& tok);

  int32_t n_vocab() const { return int32_t(bytes_.size()); }
  bool is_eog(int32_t id) const { return eog_[size_t(id)] != 0; }
  const std::string& bytes(int32_t id) const { return bytes_[size_t(id)]; }

 private:
  friend class TokenFilter;
  std::vector<std::string> bytes_;
  std::vector<uint8_t> eog_;
  std::vector<int32_t> order_;  // ordinary tokens by their bytes (specials are never text of the grammar)
  std::vector<uint32_t> lcp_;   // common prefix length with the previous token in order_
};

class TokenFilter {
 public:
  // allowed[id] = 1 for the tokens whose bytes continue a parse of the
  // matcher, and for end-of-generation tokens when the parse is complete.
  void allowed(const Matcher& m, const TokenVocabulary& v, std::vector<uint8_t>& allowed);

 private:
  std::vector<ParseState> levels_;  // levels_[d]: the state after d bytes of the current prefix
};

}  // namespace lowbit::grammar
