#include "core/aligned_buffer.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace lowbit {

namespace {
// AddressSanitizer checks heap blocks, not mappings: under it every buffer
// comes from the heap so overruns of large ones are caught too.
#if defined(__SANITIZE_ADDRESS__)
constexpr size_t kMapThreshold = SIZE_MAX;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr size_t kMapThreshold = SIZE_MAX;
#else
constexpr size_t kMapThreshold = size_t(1) << 20;
#endif
#else
constexpr size_t kMapThreshold = size_t(1) << 20;
#endif
constexpr size_t kHugePage = size_t(2) << 20;
}  // namespace

AlignedBuffer::AlignedBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  if (rounded >= kMapThreshold) {
    void* p = ::mmap(nullptr, rounded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
    if (rounded >= kHugePage) ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint; failure is harmless
#endif
    data_ = static_cast<std::byte*>(p);
    mapped_ = rounded;
    return;
  }
  void* p = std::aligned_alloc(kAlignment, rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  data_ = static_cast<std::byte*>(p);
}

AlignedBuffer::~AlignedBuffer() { release(); }

AlignedBuffer::AlignedBuffer(AlignedBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)), mapped_(std::exchange(o.mapped_, 0)) {}

AlignedBuffer& AlignedBuffer::operator=(AlignedBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    mapped_ = std::exchange(o.mapped_, 0);
  }
  return *this;
}

void AlignedBuffer::release() {
  if (!data_) return;
  if (mapped_)
    ::munmap(data_, mapped_);
  else
    std::free(data_);
  data_ = nullptr, size_ = 0, mapped_ = 0;
}

}  // namespace lowbit
