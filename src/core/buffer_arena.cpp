#include "core/buffer_arena.hpp"

#include <cstring>
#include <memory>

#include "core/asan.hpp"
#if defined(LOWBIT_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace lowbit {

namespace {

bool movable(const AlignedBuffer* b) { return b && b->size() > 0 && !b->is_part(); }

size_t round_up(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

// Under AddressSanitizer a poisoned gap follows each part, so a kernel that
// reads past its matrix is still caught (the parts would otherwise be one
// heap block).
constexpr size_t kGap = kUnderAsan ? kAlignment : 0;

}  // namespace

void gather_into_one_buffer(const std::vector<AlignedBuffer*>& bufs) {
  size_t total = 0;
  for (const AlignedBuffer* b : bufs)
    if (movable(b)) total += round_up(b->size()) + kGap;
  if (total == 0) return;
  auto whole = std::make_shared<AlignedBuffer>(total);
  size_t offset = 0;
  for (AlignedBuffer* b : bufs) {
    if (!movable(b)) continue;
    const size_t n = b->size();
    std::memcpy(whole->data() + offset, b->data(), n);
    *b = AlignedBuffer::part_of(whole, offset, n);  // frees the old storage
    offset += round_up(n);
#if defined(LOWBIT_ASAN)
    ASAN_POISON_MEMORY_REGION(whole->data() + offset, kGap);
#endif
    offset += kGap;
  }
  // (The heap block is freed with the gaps poisoned: AddressSanitizer's
  // allocator poisons and unpoisons whole blocks itself.)
}

}  // namespace lowbit
