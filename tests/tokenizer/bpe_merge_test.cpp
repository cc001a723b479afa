// The two merge loops (rescan and heap) must apply the same rule; a worked
// example pins the rule itself (lowest priority first, leftmost on ties).
#include <gtest/gtest.h>

#include <random>

#include "tokenizer/bpe_merge.hpp"

using namespace lowbit;

TEST(BpeMerge, WorkedExample) {
  // Symbols a=0 b=1 c=2. Rules: (b,c)->3 first, (a,b)->4, (a,3)->5.
  PairTable t;
  t.add(1, 2, {0, 3});
  t.add(0, 1, {1, 4});
  t.add(0, 3, {2, 5});
  for (auto merge : {bpe_merge_scan, bpe_merge_heap}) {
    std::vector<TokenId> abc = {0, 1, 2};  // bc first, then a+bc
    merge(t, abc);
    EXPECT_EQ(abc, (std::vector<TokenId>{5}));
    std::vector<TokenId> abab = {0, 1, 0, 1};  // no bc: ab twice
    merge(t, abab);
    EXPECT_EQ(abab, (std::vector<TokenId>{4, 4}));
    std::vector<TokenId> bbb = {1, 1, 1};  // nothing applies
    merge(t, bbb);
    EXPECT_EQ(bbb, (std::vector<TokenId>{1, 1, 1}));
  }
}

TEST(BpeMerge, LeftmostWinsTies) {
  // a=0; (a,a)->1 and (1,a)->2 would give [2, a] from the left, [a, 2] from the right.
  PairTable t;
  t.add(0, 0, {0, 1});
  t.add(1, 0, {1, 2});
  for (auto merge : {bpe_merge_scan, bpe_merge_heap}) {
    std::vector<TokenId> aaa = {0, 0, 0};
    merge(t, aaa);
    EXPECT_EQ(aaa, (std::vector<TokenId>{2}));
    std::vector<TokenId> aaaa = {0, 0, 0, 0};  // aa aa, then no rule (1,1)
    merge(t, aaaa);
    EXPECT_EQ(aaaa, (std::vector<TokenId>{1, 1}));
  }
}

TEST(BpeMerge, ScanAndHeapAgreeOnRandomTables) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    // A random grammar over 4 base symbols; results get fresh ids so merges
    // can chain, with random (often equal) priorities.
    PairTable t;
    TokenId next = 4;
    for (int r = 0; r < 30; ++r) {
      const TokenId l = TokenId(rng() % uint32_t(next)), rr = TokenId(rng() % uint32_t(next));
      if (t.add(l, rr, {uint32_t(rng() % 12), next})) ++next;
    }
    std::vector<TokenId> ids(1 + rng() % 200);
    for (auto& x : ids) x = TokenId(rng() % 4);
    std::vector<TokenId> a = ids, b = ids;
    bpe_merge_scan(t, a);
    bpe_merge_heap(t, b);
    ASSERT_EQ(a, b) << "trial " << trial;
  }
}
