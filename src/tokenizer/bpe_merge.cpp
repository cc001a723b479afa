#include "tokenizer/bpe_merge.hpp"

#include <algorithm>
#include <cstddef>
#include <functional>
#include <limits>
#include <queue>

namespace lowbit {

namespace {
constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
// Above this many bytes the quadratic rescan loses to the heap.
constexpr size_t kScanMax = 48;
}  // namespace

bool PairTable::add(TokenId left, TokenId right, PairMerge m) {
  const bool fresh = find(left, right) == nullptr;
  if (fresh && !index_.has_room(index_.size() + 1, rules_.size() + 1)) reindex(2 * rules_.size() + 16);
  rules_.push_back({left, right, m});
  if (fresh) index_.insert(key_hash(left, right), uint32_t(rules_.size() - 1));
  return fresh;
}

void PairTable::reserve(std::size_t n) {
  n = std::max(n, rules_.size());
  rules_.reserve(n);
  if (!index_.has_room(n, n)) reindex(n);
}

void PairTable::reindex(std::size_t n) {
  index_ = FlatIndex(n, n);
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (find(rules_[i].left, rules_[i].right) == nullptr)
      index_.insert(key_hash(rules_[i].left, rules_[i].right), uint32_t(i));
}

void bpe_merge_scan(const PairTable& pairs, std::vector<TokenId>& ids) {
  if (ids.size() < 2) return;
  // prio[i]: priority of merging ids[i] with ids[i + 1].
  std::vector<uint32_t> prio(ids.size() - 1);
  std::vector<TokenId> result(ids.size() - 1);
  auto rate = [&](size_t i) {
    const PairMerge* m = pairs.find(ids[i], ids[i + 1]);
    prio[i] = m ? m->priority : kNone;
    result[i] = m ? m->result : -1;
  };
  for (size_t i = 0; i + 1 < ids.size(); ++i) rate(i);
  while (!prio.empty()) {
    size_t best = 0;
    for (size_t i = 1; i < prio.size(); ++i)
      if (prio[i] < prio[best]) best = i;  // strict: the leftmost wins ties
    if (prio[best] == kNone) break;
    ids[best] = result[best];
    ids.erase(ids.begin() + std::ptrdiff_t(best) + 1);
    prio.erase(prio.begin() + std::ptrdiff_t(best));
    result.erase(result.begin() + std::ptrdiff_t(best));
    if (best < prio.size()) rate(best);
    if (best > 0) rate(best - 1);
  }
}

void bpe_merge_heap(const PairTable& pairs, std::vector<TokenId>& ids) {
  const int n = int(ids.size());
  if (n < 2) return;
  std::vector<int> prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
  std::vector<bool> alive(size_t(n), true);
  for (int i = 0; i < n; ++i) {
    prev[size_t(i)] = i - 1;
    next[size_t(i)] = i + 1 < n ? i + 1 : -1;
  }
  // A candidate remembers the pair it was made for; it is stale (skipped)
  // once either side has been merged into something else. Symbols keep the
  // index of their first byte, so (priority, pos) orders ties left to right.
  struct Cand {
    uint32_t priority;
    int pos;
    TokenId left, right, result;
    bool operator>(const Cand& o) const { return priority != o.priority ? priority > o.priority : pos > o.pos; }
  };
  std::priority_queue<Cand, std::vector<Cand>, std::greater<Cand>> heap;
  auto offer = [&](int pos) {
    const int nx = next[size_t(pos)];
    if (pos < 0 || nx < 0) return;
    if (const PairMerge* m = pairs.find(ids[size_t(pos)], ids[size_t(nx)]))
      heap.push({m->priority, pos, ids[size_t(pos)], ids[size_t(nx)], m->result});
  };
  for (int i = 0; i + 1 < n; ++i) offer(i);
  while (!heap.empty()) {
    const Cand c = heap.top();
    heap.pop();
    const int nx = next[size_t(c.pos)];
    if (!alive[size_t(c.pos)] || nx < 0 || ids[size_t(c.pos)] != c.left || ids[size_t(nx)] != c.right) continue;
    ids[size_t(c.pos)] = c.result;
    alive[size_t(nx)] = false;
    next[size_t(c.pos)] = next[size_t(nx)];
    if (next[size_t(nx)] >= 0) prev[size_t(next[size_t(nx)])] = c.pos;
    if (prev[size_t(c.pos)] >= 0) offer(prev[size_t(c.pos)]);
    offer(c.pos);
  }
  size_t out = 0;
  for (int i = 0; i >= 0; i = next[size_t(i)]) ids[out++] = ids[size_t(i)];
  ids.resize(out);
}

void bpe_merge(const PairTable& pairs, std::vector<TokenId>& ids) {
  if (ids.size() <= kScanMax)
    bpe_merge_scan(pairs, ids);
  else
    bpe_merge_heap(pairs, ids);
}

}  // namespace lowbit

