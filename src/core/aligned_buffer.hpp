// Owning, 64-byte aligned, zero-initialized byte buffer: the storage behind
// tensors, so SIMD kernels may use aligned loads on row starts that are
// multiples of 64 bytes and no two threads share a cache line at a row start.
//
// Buffers of 1 MiB and more (weights, KV caches, activations of long
// prompts) are their own anonymous memory mappings: the kernel hands out
// zeroed pages on first touch, so a KV cache sized for the whole context
// only occupies the positions used, freeing returns the pages to the system
// at once (the heap would keep them and the process's footprint would only
// grow over a model load), and the mapping may use transparent huge pages
// (fewer TLB misses when streaming weights).
#pragma once

#include <cstddef>
#include <memory>

namespace lowbit {

inline constexpr size_t kAlignment = 64;

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t bytes);
  ~AlignedBuffer();
  AlignedBuffer(AlignedBuffer&& o) noexcept;
  AlignedBuffer& operator=(AlignedBuffer&& o) noexcept;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // A buffer that is bytes [offset, offset + bytes) of `whole` and keeps it
  // alive (core/buffer_arena: many weights in one mapping). offset must be
  // a multiple of kAlignment and the range inside `whole`.
  static AlignedBuffer part_of(std::shared_ptr<AlignedBuffer> whole, size_t offset, size_t bytes);
  // True for a part_of buffer.
  bool is_part() const { return owner_ != nullptr; }

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }

  template <typename T>
  T* as() { return reinterpret_cast<T*>(data_); }
  template <typename T>
  const T* as() const { return reinterpret_cast<const T*>(data_); }

 private:
  void release();
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // length of the mapping, 0 for heap memory
  std::shared_ptr<AlignedBuffer> owner_;  // set for part_of: the storage is owner_'s
};

}  // namespace lowbit
