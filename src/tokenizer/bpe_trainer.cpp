#include "tokenizer/bpe_trainer.hpp"

#include <queue>
#include <unordered_map>

#include "core/error.hpp"
#include "tokenizer/byte_unicode.hpp"
#include "tokenizer/pretokenizer.hpp"

namespace lowbit {

namespace {
using PairKey = uint64_t;
PairKey pair_key(TokenId l, TokenId r) { return (uint64_t(uint32_t(l)) << 32) | uint32_t(r); }
TokenId key_left(PairKey k) { return TokenId(k >> 32); }
TokenId key_right(PairKey k) { return TokenId(k & 0xFFFFFFFFu); }

struct Word {
  std::vector<TokenId> syms;
  int64_t count;
};

struct HeapEntry {
  int64_t count;
  PairKey pair;
  // Max-heap: higher count first, then the smaller pair.
  bool operator<(const HeapEntry& o) const { return count != o.count ? count < o.count : pair > o.pair; }
};

class Trainer {
 public:
  Trainer(std::string_view text, const std::string& pre) {
    const PreTokenizer pretok{std::string(pattern_for_pre(pre, "BPE trainer"))};
    std::unordered_map<std::string_view, int64_t> pieces;
    pretok.split(text, [&](std::string_view p) { ++pieces[p]; });
    words_.reserve(pieces.size());
    for (const auto& [p, n] : pieces) {
      Word w{{}, n};
      for (char c : p) w.syms.push_back(TokenId(uint8_t(c)));
      words_.push_back(std::move(w));
    }
    for (int b = 0; b < 256; ++b) {
      tokens_.push_back(std::string(1, char(b)));
      ids_.emplace(tokens_.back(), TokenId(b));
    }
    for (size_t w = 0; w < words_.size(); ++w) add_pairs(w, +1);
    for (const auto& [k, n] : counts_) heap_.push({n, k});
  }

  // One merge, or false when no pair is seen at least min_frequency times.
  bool step(int64_t min_frequency) {
    while (!heap_.empty()) {
      const HeapEntry top = heap_.top();
      heap_.pop();
      auto it = counts_.find(top.pair);
      if (it == counts_.end() || it->second != top.count) continue;  // stale entry
      if (top.count < min_frequency) return false;
      merge(top.pair);
      return true;
    }
    return false;
  }

  std::vector<std::string> tokens_;  // bytes, by id
  std::vector<std::pair<TokenId, TokenId>> merges_;

 private:
  void add_pairs(size_t w, int sign) {
    const Word& word = words_[w];
    for (size_t i = 0; i + 1 < word.syms.size(); ++i) {
      const PairKey k = pair_key(word.syms[i], word.syms[i + 1]);
      int64_t& c = counts_[k];
      c += sign * word.count;
      if (sign > 0) where_[k].push_back(uint32_t(w));
      touched_.push_back(k);
    }
  }

  void merge(PairKey k) {
    const TokenId l = key_left(k), r = key_right(k);
    const std::string bytes = tokens_[size_t(l)] + tokens_[size_t(r)];
    // The same bytes may already be a token made from another split; reuse it
    // so that the vocabulary has no duplicates.
    auto [it, fresh] = ids_.emplace(bytes, TokenId(tokens_.size()));
    if (fresh) tokens_.push_back(bytes);
    const TokenId m = it->second;
    merges_.emplace_back(l, r);

    std::vector<uint32_t> ws = std::move(where_[k]);
    where_.erase(k);
    ++stamp_;
    if (visited_.size() < words_.size()) visited_.resize(words_.size(), 0);
    touched_.clear();
    for (uint32_t w : ws) {
      if (visited_[w] == stamp_) continue;
      visited_[w] = stamp_;
      Word& word = words_[w];
      bool has = false;
      for (size_t i = 0; i + 1 < word.syms.size() && !has; ++i) has = word.syms[i] == l && word.syms[i + 1] == r;
      if (!has) continue;
      add_pairs(w, -1);
      std::vector<TokenId> out;
      out.reserve(word.syms.size());
      for (size_t i = 0; i < word.syms.size(); ++i) {
        if (i + 1 < word.syms.size() && word.syms[i] == l && word.syms[i + 1] == r) {
          out.push_back(m);
          ++i;
        } else {
          out.push_back(word.syms[i]);
        }
      }
      word.syms = std::move(out);
      add_pairs(w, +1);
    }
    counts_.erase(k);
    for (PairKey t : touched_) {
      auto c = counts_.find(t);
      if (c == counts_.end()) continue;
      if (c->second <= 0) {
        counts_.erase(c);
        where_.erase(t);
      } else {
        heap_.push({c->second, t});
      }
    }
    touched_.clear();
  }

  std::vector<Word> words_;
  std::unordered_map<std::string, TokenId> ids_;
  std::unordered_map<PairKey, int64_t> counts_;
  std::unordered_map<PairKey, std::vector<uint32_t>> where_;  // may list a word twice or stale
  std::priority_queue<HeapEntry> heap_;
  std::vector<PairKey> touched_;
  std::vector<uint32_t> visited_;
  uint32_t stamp_ = 0;
};
}  // namespace

GgufVocab train_bpe(std::string_view text, const BpeTrainOptions& opt) {
  const int64_t fixed = 256 + int64_t(opt.specials.size());
  LOWBIT_CHECK(opt.vocab_size >= fixed, "BPE trainer: vocab_size {} is below 256 bytes + {} specials", opt.vocab_size,
               opt.specials.size());
  LOWBIT_CHECK(opt.min_frequency >= 1, "BPE trainer: min_frequency must be at least 1");
  Trainer t(text, opt.pre);
  while (int64_t(t.tokens_.size()) + int64_t(opt.specials.size()) < opt.vocab_size && t.step(opt.min_frequency)) {
  }

  GgufVocab v;
  v.pre = opt.pre;
  for (const std::string& b : t.tokens_) {
    v.tokens.push_back(bytes_to_unicode(b));
    v.token_type.push_back(int32_t(TokenType::Normal));
  }
  for (const auto& [l, r] : t.merges_) v.merges.push_back(std::string(v.tokens[size_t(l)]) + ' ' + std::string(v.tokens[size_t(r)]));
  for (const std::string& s : opt.specials) {
    LOWBIT_CHECK(!s.empty(), "BPE trainer: empty special token");
    v.tokens.push_back(s);
    v.token_type.push_back(int32_t(TokenType::Control));
  }
  auto id_of = [&](std::string_view name) -> int32_t {
    for (size_t i = t.tokens_.size(); i < v.tokens.size(); ++i)
      if (v.tokens[i] == name) return int32_t(i);
    return -1;
  };
  v.bos_id = id_of("<|begin_of_text|>");
  v.eos_id = id_of("<|end_of_text|>");
  v.eot_id = id_of("<|eot_id|>");
  v.add_bos = v.bos_id >= 0;
  return v;
}

}  // namespace lowbit
