// A list of many short strings in one buffer: the bytes back to back and one
// end offset per string, instead of a std::string each (32 bytes, plus a heap
// block past 15 bytes). LLaMA-3's 128k tokens take 1.5 MiB this way rather
// than 4.5 MiB, in two allocations that are freed at once rather than 128k
// that leave holes in the heap. Strings are read as string_views, which stay
// valid until the list is next changed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lowbit {

class StringList {
 public:
  class const_iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    const_iterator() = default;
    std::string_view operator*() const { return (*list_)[i_]; }
    std::string_view operator[](difference_type n) const { return (*list_)[size_t(difference_type(i_) + n)]; }
    const_iterator& operator++() { return ++i_, *this; }
    const_iterator operator++(int) { const_iterator t = *this; ++i_; return t; }
    const_iterator& operator--() { return --i_, *this; }
    const_iterator operator--(int) { const_iterator t = *this; --i_; return t; }
    const_iterator& operator+=(difference_type n) { return i_ = size_t(difference_type(i_) + n), *this; }
    const_iterator& operator-=(difference_type n) { return *this += -n; }
    friend const_iterator operator+(const_iterator it, difference_type n) { return it += n; }
    friend const_iterator operator+(difference_type n, const_iterator it) { return it += n; }
    friend const_iterator operator-(const_iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) {
      return difference_type(a.i_) - difference_type(b.i_);
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    auto operator<=>(const const_iterator& o) const { return i_ <=> o.i_; }

   private:
    friend class StringList;
    const_iterator(const StringList* list, size_t i) : list_(list), i_(i) {}
    const StringList* list_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = const_iterator;
  using value_type = std::string_view;
  using size_type = size_t;

  StringList() = default;
  StringList(std::initializer_list<std::string_view> strings);
  explicit StringList(std::span<const std::string> strings);

  // Room for `n_strings` strings of `n_bytes` bytes in all.
  void reserve(size_t n_strings, size_t n_bytes);
  // Throws lowbit::Error once the list would hold 4 GiB of bytes.
  void push_back(std::string_view s);
  void clear();

  std::string_view operator[](size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_.data() + begin, ends_[i] - begin);
  }
  std::string_view back() const { return (*this)[size() - 1]; }
  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  // The bytes of all strings together.
  size_t total_bytes() const { return bytes_.size(); }
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }

  std::vector<std::string> to_vector() const { return {begin(), end()}; }

  bool operator==(const StringList& o) const { return ends_ == o.ends_ && bytes_ == o.bytes_; }
  // Lists built from vectors compare with them directly (tests, callers
  // that still hold one).
  friend bool operator==(const StringList& a, const std::vector<std::string>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < b.size(); ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

 private:
  std::string bytes_;
  std::vector<uint32_t> ends_;  // ends_[i]: one past the last byte of string i
};

}  // namespace lowbit
