// The BPE merge loop over one pre-tokenized piece: start from one token per
// byte and repeatedly merge the adjacent pair with the lowest priority (the
// leftmost one on ties) until no adjacent pair is mergeable. This is
// tiktoken's rule when priority = rank of the merged token, and Hugging Face's
// when priority = index in the merges list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace lowbit {

using TokenId = int32_t;

struct PairMerge {
  uint32_t priority;  // lower merges first
  TokenId result;
};

class PairTable {
 public:
  // Returns false (and keeps the old entry) if the pair is already there: the
  // first, highest-priority rule for a pair wins, as in the merges list.
  bool add(TokenId left, TokenId right, PairMerge m) { return map_.emplace(key(left, right), m).second; }
  const PairMerge* find(TokenId left, TokenId right) const {
    auto it = map_.find(key(left, right));
    return it == map_.end() ? nullptr : &it->second;
  }
  std::size_t size() const { return map_.size(); }
  void reserve(std::size_t n) { map_.reserve(n); }

 private:
  static uint64_t key(TokenId l, TokenId r) { return (uint64_t(uint32_t(l)) << 32) | uint32_t(r); }
  std::unordered_map<uint64_t, PairMerge> map_;
};

// Merges `ids` in place. Two implementations of the same rule: a rescan of the
// pairs after each merge (fast for the short pieces of natural text) and a
// heap over a linked list (O(n log n), for long runs such as 10k spaces).
// bpe_merge picks one by length; both are public so tests can compare them.
void bpe_merge_scan(const PairTable& pairs, std::vector<TokenId>& ids);
void bpe_merge_heap(const PairTable& pairs, std::vector<TokenId>& ids);
void bpe_merge(const PairTable& pairs, std::vector<TokenId>& ids);

}  // namespace lowbit
