// FlatIndex against std::unordered_map on the same keys, with hashes chosen to
// collide (long probe runs, equal tags) as well as spread ones.
#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/flat_index.hpp"

using namespace lowbit;

namespace {
// An owner as the tokenizer is one: keys in an array, the index on top, a
// larger index built when the old one is full.
struct Owner {
  std::vector<uint64_t> keys;
  FlatIndex index;
  uint64_t (*hash)(uint64_t);

  uint32_t find(uint64_t k) const {
    return index.find(hash(k), [&](uint32_t p) { return keys[p] == k; });
  }
  bool add(uint64_t k) {
    keys.push_back(k);
    if (find(k) != FlatIndex::kNone) return false;
    if (!index.has_room(index.size() + 1, keys.size())) {
      index = FlatIndex(2 * keys.size(), 2 * keys.size());
      for (size_t i = 0; i + 1 < keys.size(); ++i)
        if (find(keys[i]) == FlatIndex::kNone) index.insert(hash(keys[i]), uint32_t(i));
    }
    index.insert(hash(k), uint32_t(keys.size() - 1));
    return true;
  }
};

void check_against_map(uint64_t (*hash)(uint64_t), uint64_t key_range) {
  std::mt19937_64 rng(11);
  Owner o{{}, {}, hash};
  std::unordered_map<uint64_t, uint32_t> want;  // key -> first position
  for (int i = 0; i < 5000; ++i) {
    const uint64_t k = rng() % key_range;
    const uint32_t pos = uint32_t(o.keys.size());
    const bool fresh = want.emplace(k, pos).second;
    ASSERT_EQ(o.add(k), fresh) << "key " << k;
  }
  EXPECT_EQ(o.index.size(), want.size());
  for (uint64_t k = 0; k < key_range + 100; ++k) {
    auto it = want.find(k);
    EXPECT_EQ(o.find(k), it == want.end() ? FlatIndex::kNone : it->second) << "key " << k;
  }
}
}  // namespace

TEST(FlatIndex, MatchesUnorderedMapWithSpreadHashes) {
  check_against_map([](uint64_t k) { return mix_hash(k); }, 3000);
}

TEST(FlatIndex, MatchesUnorderedMapWhenHashesCollide) {
  // Eight distinct hashes for all keys: long runs, equal slots and tags.
  check_against_map([](uint64_t k) { return mix_hash(k % 8); }, 700);
}

TEST(FlatIndex, RoomAndLimits) {
  FlatIndex none;
  EXPECT_EQ(none.find(1, [](uint32_t) { return true; }), FlatIndex::kNone);
  EXPECT_FALSE(none.has_room(1, 1));
  FlatIndex f(100, 1000);
  EXPECT_TRUE(f.has_room(100, 1000));
  EXPECT_FALSE(f.has_room(100, 1u << 20));  // positions need more bits than sized for
  EXPECT_GE(f.memory_bytes(), 100 * 4 * 4 / 3);
  EXPECT_LE(f.memory_bytes(), 100 * 4 * 4);
  EXPECT_THROW(FlatIndex(1, size_t(1) << FlatIndex::kMaxPosBits), Error);
  EXPECT_NO_THROW(FlatIndex(1, (size_t(1) << FlatIndex::kMaxPosBits) - 1));
}
