// The two merge loops (rescan and heap) must apply the same rule; a worked
// example pins the rule itself (lowest priority first, leftmost on ties).
// PairTable, the rules and their index, is checked against a std::map.
#include <gtest/gtest.h>

#include <map>
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

TEST(PairTable, MatchesMapOfFirstRules) {
  // Many repeated pairs: lookups give the first rule, rules() keeps all.
  std::mt19937 rng(5);
  for (bool reserve : {false, true}) {
    PairTable t;
    if (reserve) t.reserve(20000);
    std::map<std::pair<TokenId, TokenId>, PairMerge> want;
    std::vector<PairTable::Rule> all;
    for (uint32_t i = 0; i < 20000; ++i) {
      const TokenId l = TokenId(rng() % 200), r = TokenId(rng() % 200);
      const PairMerge m{i, TokenId(rng() % 100000)};
      EXPECT_EQ(t.add(l, r, m), want.emplace(std::pair(l, r), m).second);
      all.push_back({l, r, m});
    }
    EXPECT_EQ(t.size(), want.size());
    ASSERT_EQ(t.rules().size(), all.size());
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(t.rules()[i].left, all[i].left);
      EXPECT_EQ(t.rules()[i].right, all[i].right);
      EXPECT_EQ(t.rules()[i].merge.priority, all[i].merge.priority);
    }
    for (TokenId l = 0; l < 210; ++l)
      for (TokenId r = 0; r < 210; ++r) {
        const PairMerge* got = t.find(l, r);
        auto it = want.find({l, r});
        ASSERT_EQ(got != nullptr, it != want.end()) << l << " " << r;
        if (got) {
          EXPECT_EQ(got->priority, it->second.priority);
          EXPECT_EQ(got->result, it->second.result);
        }
      }
  }
}
