#include "core/flat_index.hpp"

#include <algorithm>
#include <bit>

#include "core/error.hpp"

namespace lowbit {

FlatIndex::FlatIndex(size_t n, size_t pos_limit) {
  pos_bits_ = std::max(1, int(std::bit_width(pos_limit)));
  LOWBIT_CHECK(pos_bits_ <= kMaxPosBits, "hash index: {} entries are more than the {} it can address", pos_limit,
               (size_t(1) << kMaxPosBits) - 1);
  pos_mask_ = (uint32_t(1) << pos_bits_) - 1;
  const size_t slots = std::bit_ceil(std::max<size_t>(n + n / 2 + 1, 8));
  slots_.assign(slots, 0);
  mask_ = slots - 1;
  max_size_ = slots / 4 * 3;
}

void FlatIndex::insert(uint64_t hash, uint32_t pos) {
  size_t i = size_t(hash) & mask_;
  while (slots_[i] != 0) i = (i + 1) & mask_;
  slots_[i] = tag_of(hash) << pos_bits_ | (pos + 1);
  ++size_;
}

}  // namespace lowbit
