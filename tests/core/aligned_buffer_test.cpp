// AlignedBuffer: zeroed, 64-byte aligned storage on the heap or (1 MiB and
// up) its own mapping, which from 2 MiB on starts on a 2 MiB boundary so
// transparent huge pages can cover it (issue 18).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/asan.hpp"
#include "core/error.hpp"

namespace lowbit {
namespace {

// Under AddressSanitizer every buffer is a heap block (aligned_buffer.cpp),
// and freed blocks wait in its quarantine, still mapped.
constexpr bool kHeapOnly = kUnderAsan;

bool all_zero(const AlignedBuffer& b) {
  for (size_t i = 0; i < b.size(); ++i)
    if (b.data()[i] != std::byte{0}) return false;
  return true;
}

// Mappings of this process (lines of /proc/self/maps).
int mapping_count() {
  std::ifstream f("/proc/self/maps");
  int n = 0;
  for (std::string line; std::getline(f, line);) ++n;
  return n;
}

TEST(AlignedBuffer, ZeroedAlignedAndWritableAtEverySize) {
  // heap, a mapping under 2 MiB, mappings of 2 MiB and of 4.2 MiB (2B4T's down projection)
  for (size_t n : {size_t(1), size_t(1000), size_t(3) << 19, size_t(2) << 20, size_t(4423680)}) {
    AlignedBuffer b(n);
    ASSERT_EQ(b.size(), n);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % kAlignment, 0u) << n;
    EXPECT_TRUE(all_zero(b)) << n;
    b.data()[0] = std::byte{1};
    b.data()[n - 1] = std::byte{2};
    EXPECT_EQ(b.data()[n - 1], std::byte{2});
  }
}

TEST(AlignedBuffer, MappingsOf2MiBAndMoreStartOnA2MiBBoundary) {
  if (kHeapOnly) GTEST_SKIP() << "under AddressSanitizer every buffer is a heap block";
  // Several in a row: mmap places them next to each other, 4 KiB-aligned.
  std::vector<AlignedBuffer> bufs;
  bufs.reserve(4);
  for (int i = 0; i < 4; ++i) bufs.emplace_back(size_t(4423680));
  for (const auto& b : bufs) EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % (size_t(2) << 20), 0u);
}

TEST(AlignedBuffer, FreeingReturnsTheWholeMapping) {
  // The head and tail cut off to align the start must not stay mapped:
  // allocating and freeing many buffers leaves the mappings as they were.
  if (kHeapOnly) GTEST_SKIP() << "under AddressSanitizer freed blocks stay mapped a while";
  const int before = mapping_count();
  for (int i = 0; i < 64; ++i) {
    AlignedBuffer a(size_t(4423680)), b(size_t(3) << 20);
    a.data()[0] = b.data()[0] = std::byte{1};
  }
  EXPECT_LE(mapping_count(), before + 2);  // + slack for the allocator's own
}

TEST(AlignedBuffer, MoveKeepsTheStorage) {
  AlignedBuffer a(size_t(4423680));
  a.data()[5] = std::byte{7};
  const std::byte* p = a.data();
  AlignedBuffer b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.data()[5], std::byte{7});
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  AlignedBuffer c(100);
  c = std::move(b);
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(c.size(), size_t(4423680));
}

TEST(AlignedBuffer, PartOfSharesTheWholeAndKeepsItAlive) {
  auto whole = std::make_shared<AlignedBuffer>(size_t(4096));
  for (size_t i = 0; i < 4096; ++i) whole->data()[i] = std::byte(i * 7 % 251);
  const std::byte* base = whole->data();
  AlignedBuffer a = AlignedBuffer::part_of(whole, 128, 100), b = AlignedBuffer::part_of(whole, 4096 - 64, 64);
  whole.reset();  // the parts hold it now
  ASSERT_TRUE(a.is_part());
  EXPECT_EQ(a.data(), base + 128);
  EXPECT_EQ(a.size(), 100u);
  for (size_t i = 0; i < 100; ++i) ASSERT_EQ(a.data()[i], std::byte((128 + i) * 7 % 251)) << i;
  AlignedBuffer c(std::move(a));  // a move hands the share on
  EXPECT_EQ(c.data(), base + 128);
  a = AlignedBuffer(32);  // a moved-from part takes new storage of its own
  EXPECT_FALSE(a.is_part());
  c = AlignedBuffer();
  EXPECT_EQ(b.data()[63], std::byte((4096 - 1) * 7 % 251));  // b still holds the whole
  EXPECT_TRUE(AlignedBuffer::part_of(std::make_shared<AlignedBuffer>(64), 64, 0).data() == nullptr);
}

TEST(AlignedBuffer, PartOfRejectsRangesOutsideTheWholeAndUnalignedOffsets) {
  auto whole = std::make_shared<AlignedBuffer>(size_t(1000));
  EXPECT_THROW(AlignedBuffer::part_of(whole, 32, 10), Error);   // offset not a multiple of 64
  EXPECT_THROW(AlignedBuffer::part_of(whole, 960, 41), Error);  // ends past 1000
  EXPECT_THROW(AlignedBuffer::part_of(whole, 1024, 0), Error);  // starts past the end
  EXPECT_THROW(AlignedBuffer::part_of(nullptr, 0, 0), Error);
  EXPECT_NO_THROW(AlignedBuffer::part_of(whole, 960, 40));
}

}  // namespace
}  // namespace lowbit
