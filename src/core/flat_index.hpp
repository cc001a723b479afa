// A hash index of positions into an array that its owner keeps (token
// strings, merge rules): open addressing with linear probing over one uint32
// per slot. A slot holds the position plus one and, in the bits the position
// does not need, a tag taken from the hash, so a probe that meets another
// key is almost always rejected without reading the owner's array. LLaMA-3's
// 280k merge pairs take 2 MiB of slots this way, where std::unordered_map
// spends a 32-byte node per entry plus its bucket array (about 11 MiB).
//
// The index stores no keys, so it cannot rehash itself: when has_room() says no,
// the owner builds a larger index and inserts its entries again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace lowbit {

// A 64-bit finalizer (the MurmurHash3 fmix64 constants): spreads any key over
// all bits, since slots come from the low bits and tags from the high ones.
inline uint64_t mix_hash(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

class FlatIndex {
 public:
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  // Positions need at most this many bits, leaving at least 4 for the tag.
  static constexpr int kMaxPosBits = 28;

  FlatIndex() = default;
  // Room for `n` entries at positions below `pos_limit`; throws lowbit::Error
  // when pos_limit needs more than kMaxPosBits bits.
  FlatIndex(size_t n, size_t pos_limit);

  size_t size() const { return size_; }
  size_t memory_bytes() const { return slots_.size() * sizeof(uint32_t); }

  // The position of the entry among those with this hash for which
  // match(position) holds, or kNone.
  template <class Match>
  uint32_t find(uint64_t hash, Match&& match) const {
    if (slots_.empty()) return kNone;
    const uint32_t tag = tag_of(hash);
    for (size_t i = size_t(hash) & mask_;; i = (i + 1) & mask_) {
      const uint32_t s = slots_[i];
      if (s == 0) return kNone;
      if ((s >> pos_bits_) == tag) {
        const uint32_t pos = (s & pos_mask_) - 1;
        if (match(pos)) return pos;
      }
    }
  }
  // Whether `n` entries in all, at positions below `pos_limit`, fit without a
  // larger index.
  bool has_room(size_t n, size_t pos_limit) const { return n <= max_size_ && pos_limit <= pos_mask_; }
  // Adds an entry; needs has_room(size() + 1, pos + 1) and no entry with the
  // same key.
  void insert(uint64_t hash, uint32_t pos);

 private:
  uint32_t tag_of(uint64_t hash) const { return uint32_t(hash >> (32 + pos_bits_)); }

  std::vector<uint32_t> slots_;  // 0: empty; else tag << pos_bits_ | (position + 1)
  size_t mask_ = 0;              // slots_.size() - 1 (a power of two)
  int pos_bits_ = 0;
  uint32_t pos_mask_ = 0;        // (1 << pos_bits_) - 1
  size_t size_ = 0;
  size_t max_size_ = 0;          // 3/4 of the slots: probes stay short
};

}  // namespace lowbit
