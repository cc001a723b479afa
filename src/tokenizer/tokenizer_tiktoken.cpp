// Tokenizer from a tiktoken ranks file: `base64(token bytes) rank` per line,
// the bytes raw (no GPT-2 unicode mapping). tiktoken merges, within a piece,
// the adjacent pair whose concatenation has the lowest rank; every split of a
// token into two tokens is therefore a merge rule with priority = its rank.
// This is also how Hugging Face converts these files to merges lists.
#include <algorithm>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

namespace {
int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  size_t i = 0;
  for (; i < in.size() && in[i] != '='; ++i) {
    const int v = base64_value(in[i]);
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  for (; i < in.size(); ++i)
    if (in[i] != '=') return false;
  return !out.empty();
}
}  // namespace

Tokenizer Tokenizer::from_tiktoken(std::string_view contents, std::string_view source,
                                   const std::vector<std::string>& specials) {
  Tokenizer t;
  std::vector<std::string> tokens;  // by rank; ranks may come in any order
  std::vector<bool> seen;
  size_t line_no = 0;
  const uint64_t max_rank = uint64_t(std::count(contents.begin(), contents.end(), '\n')) + 1;
  std::string bytes;
  for (size_t pos = 0; pos < contents.size();) {
    size_t eol = contents.find('\n', pos);
    if (eol == std::string_view::npos) eol = contents.size();
    std::string_view line = contents.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t sp = line.find(' ');
    LOWBIT_CHECK(sp != std::string_view::npos, "{}:{}: expected 'base64 rank'", source, line_no);
    LOWBIT_CHECK(base64_decode(line.substr(0, sp), bytes), "{}:{}: bad base64 token", source, line_no);
    const std::string_view rank_text = line.substr(sp + 1);
    uint64_t rank = 0;
    LOWBIT_CHECK(!rank_text.empty() && rank_text.size() <= 9, "{}:{}: bad rank", source, line_no);
    for (char c : rank_text) {
      LOWBIT_CHECK(c >= '0' && c <= '9', "{}:{}: bad rank '{}'", source, line_no, rank_text);
      rank = rank * 10 + uint64_t(c - '0');
    }
    // Ranks are ids and must be dense, so a rank beyond the line count is an
    // error (caught here, before it sizes an allocation).
    LOWBIT_CHECK(rank < max_rank, "{}:{}: rank {} but only {} lines", source, line_no, rank, max_rank);
    if (rank >= tokens.size()) {
      tokens.resize(rank + 1);
      seen.resize(rank + 1);
    }
    LOWBIT_CHECK(!seen[rank], "{}:{}: rank {} appears twice", source, line_no, rank);
    seen[rank] = true;
    tokens[rank] = bytes;
  }
  LOWBIT_CHECK(!tokens.empty(), "{}: no tokens", source);
  for (size_t i = 0; i < seen.size(); ++i) LOWBIT_CHECK(seen[i], "{}: no token has rank {}", source, i);
  const size_t n_base = tokens.size();
  tokens.insert(tokens.end(), specials.begin(), specials.end());
  t.tokens_ = StringList(tokens);
  tokens = {};
  t.types_.assign(n_base, TokenType::Normal);
  t.types_.resize(t.tokens_.size(), TokenType::Control);
  t.index_tokens();
  std::vector<PairTable::Rule> merges;
  for (size_t id = 0; id < n_base; ++id) {
    const std::string_view tok = t.tokens_[id];
    for (size_t k = 1; k < tok.size(); ++k) {
      const TokenId l = t.find_normal(tok.substr(0, k));
      if (l < 0) continue;
      const TokenId r = t.find_normal(tok.substr(k));
      if (r < 0) continue;
      merges.push_back({l, r, {uint32_t(id), TokenId(id)}});
    }
  }
  // Hugging Face's order for the same rules (their converted merges.txt).
  std::sort(merges.begin(), merges.end(), [](const PairTable::Rule& a, const PairTable::Rule& b) {
    if (a.merge.priority != b.merge.priority) return a.merge.priority < b.merge.priority;
    return a.left != b.left ? a.left < b.left : a.right < b.right;
  });
  t.pairs_.reserve(merges.size());
  for (const PairTable::Rule& m : merges) t.pairs_.add(m.left, m.right, m.merge);
  t.pre_ = "llama-bpe";
  t.ignore_merges_ = true;  // tiktoken looks a whole piece up before merging
  t.finish(source);
  t.guess_special_ids();
  return t;
}

Tokenizer Tokenizer::load_llama3_tiktoken(const std::string& path) {
  return from_tiktoken(read_file(path), path, llama3_special_tokens());
}

}  // namespace lowbit
