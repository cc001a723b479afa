// GGUF v3 writer: metadata of every type, tensors laid out in the order they
// were added, each at an offset aligned to `general.alignment` (default 32)
// and zero-padded after, as ggml and gguf-py write them. The file is written
// to PATH.tmp and renamed, so readers never see half a model; tensor bytes
// are streamed, never gathered in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "formats/format.hpp"
#include "io/gguf_metadata.hpp"

namespace lowbit {

class GgufWriter {
 public:
  GgufWriter() : meta_("gguf writer") {}

  // Set general.alignment (u32, a power of two) here to change the alignment.
  GgufMetadata& metadata() { return meta_; }

  // `shape` is row-major, outermost first (W[out, in]); the file stores it
  // innermost first. `data` must hold exactly format_bytes(format, numel)
  // bytes and stay alive until write() or serialize().
  void add_tensor(std::string name, const FormatTraits& format, const Shape& shape, std::span<const std::byte> data);
  // The same, with bytes produced at write time into a zeroed buffer of the
  // tensor's size (conversion: one tensor in memory at a time).
  using Producer = std::function<void(std::span<std::byte> out)>;
  void add_tensor(std::string name, const FormatTraits& format, const Shape& shape, Producer produce);

  void write(const std::string& path) const;
  std::string serialize() const;
  void write_to(std::ostream& out) const;

 private:
  struct Entry {
    std::string name;
    const FormatTraits* format;
    Shape shape;
    uint64_t nbytes;
    std::span<const std::byte> data;
    Producer produce;
  };
  void check_new(const std::string& name, const FormatTraits& format, const Shape& shape) const;
  uint32_t alignment() const;
  std::string header() const;  // everything before the data section, padded

  GgufMetadata meta_;
  std::vector<Entry> tensors_;
};

}  // namespace lowbit
