#include "core/aligned_buffer.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "core/asan.hpp"
#include "core/error.hpp"

namespace lowbit {

namespace {
// AddressSanitizer checks heap blocks, not mappings: under it every buffer
// comes from the heap so overruns of large ones are caught too.
constexpr size_t kMapThreshold = kUnderAsan ? SIZE_MAX : size_t(1) << 20;
constexpr size_t kHugePage = size_t(2) << 20;
// munmap takes whole pages (4 KiB on x86-64, up to 64 KiB on AArch64).
size_t page_size() {
  static const size_t page = size_t(::sysconf(_SC_PAGESIZE));
  return page;
}
}  // namespace

AlignedBuffer::AlignedBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded >= kMapThreshold) {
    const size_t page = page_size(), length = (rounded + page - 1) / page * page;
    // From 2 MiB on, the mapping starts on a 2 MiB boundary: a transparent
    // huge page only covers a 2 MiB-aligned range that lies wholly inside
    // one mapping, and mmap returns 4 KiB-aligned addresses, so about half
    // of a 4.2 MiB matrix (2B4T's down projection) sat on 4 KiB pages and
    // one stream per 4 KiB page reached the L2's streamer. Issue 18, AVX2
    // ternary GEMV over distinct copies, paired with the read probe in one
    // process: 0.76 of the probe with the copies where mmap put them, 0.93
    // with the same bytes in one huge-page buffer. Mapped 2 MiB longer,
    // the unused head and tail unmapped again (no memory is touched there).
    const size_t span = length >= kHugePage ? length + kHugePage : length;
    void* p = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    auto* start = static_cast<std::byte*>(p);
    if (span > length) {
      const size_t head = (kHugePage - reinterpret_cast<uintptr_t>(p) % kHugePage) % kHugePage;
      if (head) ::munmap(start, head);
      if (span - head > length) ::munmap(start + head + length, span - head - length);
      start += head;
#if defined(MADV_HUGEPAGE)
      ::madvise(start, length, MADV_HUGEPAGE);  // a hint; failure is harmless
#endif
    }
    data_ = start;
    mapped_ = length;
    return;
  }
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  data_ = static_cast<std::byte*>(p);
}

AlignedBuffer::~AlignedBuffer() { release(); }

AlignedBuffer::AlignedBuffer(AlignedBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), mapped_(std::exchange(o.mapped_, 0)),
      owner_(std::move(o.owner_)) {}

AlignedBuffer AlignedBuffer::part_of(std::shared_ptr<AlignedBuffer> whole, size_t offset, size_t bytes) {
  LOWBIT_CHECK(whole && offset % kAlignment == 0 && offset <= whole->size() && bytes <= whole->size() - offset,
               "AlignedBuffer::part_of: bytes [{}, +{}) of a {}-byte buffer (offset a multiple of {} needed)", offset,
               bytes, whole ? whole->size() : 0, kAlignment);
  AlignedBuffer b;
  if (bytes == 0) return b;
  b.data_ = whole->data() + offset;
  b.size_ = bytes;
  b.owner_ = std::move(whole);
  return b;
}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
    owner_ = std::move(o.owner_);
  }
  return *this;
}

void AlignedBuffer::release() {
  if (!data_) return;
  if (owner_) owner_.reset();
  else if (mapped_) ::munmap(data_, mapped_);
  else
    std::free(data_);
  data_ = nullptr, size_ = 0, mapped_ = 0;
}

}  // namespace lowbit
