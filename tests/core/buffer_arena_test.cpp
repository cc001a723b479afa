// gather_into_one_buffer: a model's weight buffers moved into one mapping in
// decode order (issue 18: the single-thread ternary GEMV reached the read
// probe only with its matrices on huge pages, one after another).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/asan.hpp"
#include "core/buffer_arena.hpp"
#include "core/rng.hpp"

namespace lowbit {
namespace {

// Under AddressSanitizer every buffer is a heap block (core/aligned_buffer).
constexpr bool kHeapOnly = kUnderAsan;

AlignedBuffer filled(size_t n, uint64_t seed) {
  AlignedBuffer b(n);
  Rng rng(seed);
  for (size_t i = 0; i < n; ++i) b.data()[i] = std::byte(rng.next_u64() >> 56);
  return b;
}

std::vector<std::byte> bytes_of(const AlignedBuffer& b) { return {b.data(), b.data() + b.size()}; }

TEST(BufferArena, GatherKeepsEveryByteAndTheOrderInOneBuffer) {
  // heap-sized, mapping-sized, odd sizes (the next part still starts 64-aligned),
  // 2B4T's 1.6 MiB output projection and 4.2 MiB down projection
  const size_t sizes[] = {100, size_t(3) << 20, 1, 4096, 1638400, 4423680, 77};
  std::vector<AlignedBuffer> bufs;
  std::vector<std::vector<std::byte>> want;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    bufs.push_back(filled(sizes[i], 11 + i));
    want.push_back(bytes_of(bufs.back()));
  }
  AlignedBuffer empty;
  std::vector<AlignedBuffer*> order;
  // Reversed, with an empty buffer and a null entry in between: the parts
  // follow the order given, not the order of allocation.
  for (size_t i = bufs.size(); i-- > 0;) {
    order.push_back(&bufs[i]);
    if (i == 3) order.push_back(&empty), order.push_back(nullptr);
  }
  gather_into_one_buffer(order);
  EXPECT_EQ(empty.data(), nullptr);
  EXPECT_FALSE(empty.is_part());
  const std::byte* prev_end = nullptr;
  for (AlignedBuffer* b : order) {
    if (!b || b->size() == 0) continue;
    ASSERT_TRUE(b->is_part());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b->data()) % kAlignment, 0u);
    if (prev_end) {
      EXPECT_GE(b->data(), prev_end);
      EXPECT_LE(b->data(), prev_end + 2 * kAlignment);  // next to the previous one (and its padding)
    }
    prev_end = b->data() + b->size();
  }
  for (size_t i = 0; i < bufs.size(); ++i) {
    ASSERT_EQ(bufs[i].size(), sizes[i]);
    EXPECT_EQ(bytes_of(bufs[i]), want[i]) << "buffer " << i << " changed";
  }
  if (!kHeapOnly) {
    // One mapping of more than 2 MiB: it starts on a huge-page boundary.
    EXPECT_EQ(reinterpret_cast<uintptr_t>(order.front()->data()) % (size_t(2) << 20), 0u);
  }
}

TEST(BufferArena, PartsAreLeftWhereTheyAreAndTheWholeLivesWhileOnePartDoes) {
  AlignedBuffer a = filled(5000, 1), b = filled(300, 2);
  gather_into_one_buffer({&a, &b});
  const std::byte* pa = a.data();
  const auto want_b = bytes_of(b);
  gather_into_one_buffer({&a, &b});  // already parts: nothing moves
  EXPECT_EQ(a.data(), pa);
  a = AlignedBuffer();  // b alone keeps the whole alive
  EXPECT_EQ(bytes_of(b), want_b);
  gather_into_one_buffer({});
  gather_into_one_buffer({nullptr});
}

TEST(BufferArena, WritesThroughAPartLandInItsOwnBytesOnly) {
  AlignedBuffer a = filled(64, 3), b = filled(64, 4), c = filled(64, 5);
  const auto want_a = bytes_of(a), want_c = bytes_of(c);
  gather_into_one_buffer({&a, &b, &c});
  for (size_t i = 0; i < b.size(); ++i) b.data()[i] = std::byte{0xEE};
  EXPECT_EQ(bytes_of(a), want_a);
  EXPECT_EQ(bytes_of(c), want_c);
}

TEST(BufferArena, ReadingPastAPartIsCaughtUnderAddressSanitizer) {
  // The parts share one heap block under ASan; the poisoned gap after each
  // keeps an overrun from one matrix into the next an error.
  if (!kHeapOnly) GTEST_SKIP() << "AddressSanitizer build only";
  AlignedBuffer a = filled(128, 6), b = filled(128, 7);
  gather_into_one_buffer({&a, &b});
  EXPECT_DEATH(
      {
        volatile std::byte v = a.data()[a.size()];
        (void)v;
      },
      "use-after-poison");
}

}  // namespace
}  // namespace lowbit
