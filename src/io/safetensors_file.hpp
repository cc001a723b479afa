// safetensors (huggingface/safetensors): u64 little-endian header length N,
// N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]},
// "__metadata__": {string: string}}, then the data section that the offsets
// index. Read through a MappedFile (zero-copy views); written atomically.
// Used for training checkpoints and the Hugging Face BitNet checkpoints.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tensor.hpp"
#include "io/mapped_file.hpp"

namespace lowbit {

// Largest JSON header accepted (the reference implementation's limit).
inline constexpr uint64_t kSafetensorsMaxHeader = 100'000'000;

struct SafetensorsDType {
  std::string_view name;  // "F32", "BF16", ...
  size_t size;            // bytes per element
  bool has_dtype;         // false: readable, but no lowbit DType to view it as
  DType dtype;
};
// By name; null if not a safetensors dtype.
const SafetensorsDType* find_safetensors_dtype(std::string_view name);
// The safetensors dtype of a lowbit DType (not Packed).
const SafetensorsDType& safetensors_dtype_of(DType t);

struct SafetensorsTensor {
  std::string name;
  const SafetensorsDType* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range within the data section

  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::string& path);
  static SafetensorsFile parse(MappedFile file);

  // In data order.
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  const SafetensorsTensor* find(std::string_view name) const;
  const SafetensorsTensor& tensor(std::string_view name) const;  // Error if absent
  // __metadata__, in file order.
  const std::vector<std::pair<std::string, std::string>>& metadata() const { return metadata_; }
  const std::string& path() const { return file_.path(); }
  uint64_t data_offset() const { return data_offset_; }
  size_t file_size() const { return file_.size(); }

  std::span<const std::byte> data(const SafetensorsTensor& t) const;
  // Zero-copy typed view (read-only memory); Error for dtypes lowbit has no
  // DType for, and for ranks above 4. Rows may be unaligned: safetensors
  // does not align tensor data.
  TensorView view(const SafetensorsTensor& t) const;

 private:
  MappedFile file_;
  uint64_t data_offset_ = 0;
  std::vector<SafetensorsTensor> tensors_;
  std::vector<std::pair<std::string, std::string>> metadata_;
  friend struct SafetensorsParser;
};

class SafetensorsWriter {
 public:
  void set_metadata(std::string key, std::string value);
  // `data` must stay alive until write()/serialize(); its size must be numel * dtype size.
  void add(std::string name, std::string_view dtype, std::vector<int64_t> shape, std::span<const std::byte> data);
  void add(std::string name, const TensorView& t);

  std::string serialize() const;
  void write(const std::string& path) const;  // atomic: PATH.tmp then rename

 private:
  struct Entry {
    std::string name;
    const SafetensorsDType* dtype;
    std::vector<int64_t> shape;
    std::span<const std::byte> data;
  };
  std::string header() const;  // length prefix + JSON padded to 8 bytes
  std::vector<std::pair<std::string, std::string>> metadata_;
  std::vector<Entry> tensors_;
};

}  // namespace lowbit
