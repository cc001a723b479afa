// The elements of a GGUF string array, kept the way GGUF stores them: each a
// u64 little-endian length and then its bytes, back to back. Parsed from a
// file they stay in the (memory-mapped) file, so a LLaMA-3 vocabulary's 128k
// tokens and 280k merges cost no memory of their own (as std::strings they
// took 13 MiB for as long as the file was open); built in memory they share
// one immutable buffer, so copying metadata is cheap. Whoever holds the
// strings holds the bytes too (`owner`), so they may outlive the GgufFile.
//
// There is no offset table (it would cost 8 bytes a string): elements are
// read front to back, which is what loaders and writers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lowbit {

class GgufStrings {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    const_iterator() = default;
    std::string_view operator*() const {
      return std::string_view(reinterpret_cast<const char*>(p_ + 8), size_t(length()));
    }
    const_iterator& operator++() {
      p_ += 8 + length();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator t = *this;
      ++*this;
      return t;
    }
    bool operator==(const const_iterator& o) const { return p_ == o.p_; }

   private:
    friend class GgufStrings;
    explicit const_iterator(const std::byte* p) : p_(p) {}
    uint64_t length() const {
      uint64_t n;
      std::memcpy(&n, p_, 8);
      return n;
    }
    const std::byte* p_ = nullptr;
  };
  using iterator = const_iterator;
  using value_type = std::string_view;

  GgufStrings() = default;
  // The GGUF encoding of `strings` (any range of string-like elements).
  template <class Range>
  static GgufStrings encode(const Range& strings) {
    auto buf = std::make_shared<std::string>();
    uint64_t n = 0;
    size_t bytes = 0;
    for (const auto& s : strings) bytes += 8 + std::string_view(s).size(), ++n;
    buf->reserve(bytes);
    for (const auto& s : strings) append_encoded(*buf, std::string_view(s));
    return adopt(std::move(buf), n);
  }
  // `bytes` must hold exactly `count` encoded strings (lowbit::Error if not);
  // `owner` keeps them alive (the mapped file).
  static GgufStrings view(std::shared_ptr<const void> owner, std::span<const std::byte> bytes, uint64_t count);

  uint64_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  // The encoded bytes, as a GGUF file holds them.
  std::span<const std::byte> encoded() const { return bytes_; }
  // The strings' own bytes, without their lengths.
  size_t payload_bytes() const { return bytes_.size() - 8 * size_t(count_); }
  const_iterator begin() const { return const_iterator(bytes_.data()); }
  const_iterator end() const { return const_iterator(bytes_.data() + bytes_.size()); }
  std::vector<std::string> to_vector() const { return {begin(), end()}; }

  bool operator==(const GgufStrings& o) const {
    return count_ == o.count_ && bytes_.size() == o.bytes_.size() &&
           (bytes_.empty() || std::memcmp(bytes_.data(), o.bytes_.data(), bytes_.size()) == 0);
  }

 private:
  static void append_encoded(std::string& out, std::string_view s);
  static GgufStrings adopt(std::shared_ptr<const std::string> buf, uint64_t count);

  std::shared_ptr<const void> owner_;
  std::span<const std::byte> bytes_;
  uint64_t count_ = 0;
};

}  // namespace lowbit
