#include "io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

#include "core/error.hpp"

namespace lowbit {

namespace {
// Closes the descriptor on every path out of open().
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

MappedFile MappedFile::open(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  LOWBIT_CHECK(f.fd >= 0, "{}: cannot open: {}", path, std::strerror(errno));
  struct stat st {};
  LOWBIT_CHECK(::fstat(f.fd, &st) == 0, "{}: cannot stat: {}", path, std::strerror(errno));
  LOWBIT_CHECK(!S_ISDIR(st.st_mode), "{}: is a directory, not a file", path);
  if (!S_ISREG(st.st_mode) || st.st_size == 0) return read(path);
  void* p = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_PRIVATE, f.fd, 0);
  if (p == MAP_FAILED) return read(path);
  MappedFile m;
  m.path_ = path;
  m.map_ = p;
  m.data_ = static_cast<const std::byte*>(p);
  m.size_ = size_t(st.st_size);
  return m;
}

MappedFile MappedFile::read(const std::string& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  LOWBIT_CHECK(f.fd >= 0, "{}: cannot open: {}", path, std::strerror(errno));
  // Size unknown for pipes: grow a string, then copy once into aligned storage.
  std::string s;
  char chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(f.fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    LOWBIT_CHECK(n >= 0, "{}: read error: {}", path, std::strerror(errno));
    if (n == 0) break;
    s.append(chunk, size_t(n));
  }
  return from_bytes(s, path);
}

MappedFile MappedFile::from_bytes(std::string_view bytes, std::string name) {
  MappedFile m;
  m.path_ = std::move(name);
  m.buf_ = AlignedBuffer(bytes.size());
  if (!bytes.empty()) std::memcpy(m.buf_.data(), bytes.data(), bytes.size());
  m.data_ = m.buf_.data();
  m.size_ = bytes.size();
  return m;
}

MappedFile::MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this == &o) return *this;
  release();
  path_ = std::move(o.path_);
  data_ = std::exchange(o.data_, nullptr);
  size_ = std::exchange(o.size_, 0);
  map_ = std::exchange(o.map_, nullptr);
  buf_ = std::move(o.buf_);
  return *this;
}

MappedFile::~MappedFile() { release(); }

void MappedFile::drop_pages(const void* p, size_t n) const {
  if (!map_) return;
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  const uintptr_t lo = (uintptr_t(p) + page - 1) / page * page, hi = (uintptr_t(p) + n) / page * page;
  const uintptr_t base = uintptr_t(map_), end = base + size_;
  if (lo < base || hi > end || lo >= hi) return;
  ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

void MappedFile::release() {
  if (map_) ::munmap(map_, size_);
  map_ = nullptr;
  data_ = nullptr;
  size_ = 0;
}

}  // namespace lowbit
