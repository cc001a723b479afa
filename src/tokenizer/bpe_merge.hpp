// The BPE merge loop over one pre-tokenized piece: start from one token per
// byte and repeatedly merge the adjacent pair with the lowest priority (the
// leftmost one on ties) until no adjacent pair is mergeable. This is
// tiktoken's rule when priority = rank of the merged token, and Hugging Face's
// when priority = index in the merges list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/flat_index.hpp"

namespace lowbit {

using TokenId = int32_t;

struct PairMerge {
  uint32_t priority;  // lower merges first
  TokenId result;
};

// The merge rules of a tokenizer, in the order given, with a hash index on
// their (left, right) pairs (core/flat_index.hpp: 4 bytes a slot rather than
// a std::unordered_map node per rule).
class PairTable {
 public:
  struct Rule {
    TokenId left, right;
    PairMerge merge;
  };

  // Appends the rule. Returns false if the pair is already there: lookups
  // keep the first, highest-priority rule for a pair, as in a merges list,
  // while rules() still lists the repeat (a tokenizer writes back what it read).
  bool add(TokenId left, TokenId right, PairMerge m);
  const PairMerge* find(TokenId left, TokenId right) const {
    const uint32_t pos = index_.find(key_hash(left, right), [&](uint32_t p) {
      return rules_[p].left == left && rules_[p].right == right;
    });
    return pos == FlatIndex::kNone ? nullptr : &rules_[pos].merge;
  }
  // Distinct pairs.
  std::size_t size() const { return index_.size(); }
  // Every rule added, in order.
  const std::vector<Rule>& rules() const { return rules_; }
  void reserve(std::size_t n);
  std::size_t memory_bytes() const { return rules_.capacity() * sizeof(Rule) + index_.memory_bytes(); }

 private:
  static uint64_t key_hash(TokenId l, TokenId r) { return mix_hash((uint64_t(uint32_t(l)) << 32) | uint32_t(r)); }
  // A fresh index with room for `n` rules, holding the first rule of each pair.
  void reindex(std::size_t n);

  std::vector<Rule> rules_;
  FlatIndex index_;
};

// Merges `ids` in place. Two implementations of the same rule: a rescan of the
// pairs after each merge (fast for the short pieces of natural text) and a
// heap over a linked list (O(n log n), for long runs such as 10k spaces).
// bpe_merge picks one by length; both are public so tests can compare them.
void bpe_merge_scan(const PairTable& pairs, std::vector<TokenId>& ids);
void bpe_merge_heap(const PairTable& pairs, std::vector<TokenId>& ids);
void bpe_merge(const PairTable& pairs, std::vector<TokenId>& ids);

}  // namespace lowbit
