// A read-only view of a whole file's bytes: memory-mapped when the OS allows
// it (model files are large and mostly read once, so the page cache serves
// them and nothing is copied), otherwise read into an aligned buffer. Parsers
// take a MappedFile so tests and fuzzers can hand them bytes from memory.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/aligned_buffer.hpp"

namespace lowbit {

class MappedFile {
 public:
  MappedFile() = default;
  // Maps `path`; falls back to reading it when mmap fails (pipes, some
  // network file systems). Errors name the path.
  static MappedFile open(const std::string& path);
  // Reads `path` into memory without trying mmap.
  static MappedFile read(const std::string& path);
  // Copies `bytes` into a 64-byte aligned buffer; `name` stands for the path.
  static MappedFile from_bytes(std::string_view bytes, std::string name);

  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  bool mapped() const { return map_ != nullptr; }
  // Tells the kernel the pages inside [p, p + n) are not needed any more
  // (a tensor repacked at load): they leave this process's resident set and
  // are read from the file again if touched. No-op for read-in files.
  void drop_pages(const void* p, size_t n) const;

 private:
  void release();

  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  void* map_ = nullptr;  // the mmap region, when mapped
  AlignedBuffer buf_;    // the bytes, when read
};

}  // namespace lowbit
