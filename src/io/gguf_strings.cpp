#include "io/gguf_strings.hpp"

#include <bit>

#include "core/error.hpp"

namespace lowbit {

static_assert(std::endian::native == std::endian::little, "GGUF lengths are read and written in place");

GgufStrings GgufStrings::view(std::shared_ptr<const void> owner, std::span<const std::byte> bytes, uint64_t count) {
  // The GGUF parser has checked every length already; this walk (a few
  // hundred microseconds for a vocabulary) keeps the iterator safe whoever
  // the caller is.
  size_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t n;
    LOWBIT_CHECK(bytes.size() - pos >= 8, "GGUF string array: string {} of {} has no length", i, count);
    std::memcpy(&n, bytes.data() + pos, 8);
    pos += 8;
    LOWBIT_CHECK(n <= bytes.size() - pos, "GGUF string array: string {} of {} runs past the end", i, count);
    pos += size_t(n);
  }
  LOWBIT_CHECK(pos == bytes.size(), "GGUF string array: {} bytes after the last of {} strings", bytes.size() - pos,
               count);
  GgufStrings s;
  s.owner_ = std::move(owner);
  s.bytes_ = bytes;
  s.count_ = count;
  return s;
}

void GgufStrings::append_encoded(std::string& out, std::string_view s) {
  const uint64_t n = s.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out.append(s);
}

GgufStrings GgufStrings::adopt(std::shared_ptr<const std::string> buf, uint64_t count) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(buf->data()), buf->size());
  return view(std::move(buf), bytes, count);
}

}  // namespace lowbit
