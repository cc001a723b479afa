// GGUF v2/v3 reader: parses and validates a whole file once, then hands out
// zero-copy views of tensor data inside the (memory-mapped) file.
//
// Layout (ggml include/gguf.h; docs/FORMATS.md): magic "GGUF", u32
// version, i64 n_tensors, i64 n_kv, the key/values, the tensor infos, zero
// padding to `general.alignment` (default 32), then the data section; tensor
// offsets are relative to the data section and aligned.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/tensor.hpp"
#include "formats/format.hpp"
#include "io/gguf_metadata.hpp"
#include "io/mapped_file.hpp"

namespace lowbit {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr size_t kGgufMaxNameLength = 63;     // ggml: GGML_MAX_NAME 64 including the NUL
inline constexpr int kGgufMaxArrayDepth = 8;         // nested arrays deeper than this are refused

struct GgufTensorInfo {
  std::string name;
  int n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};  // ne[0] is the innermost (contiguous) dimension
  int ggml_type = 0;
  const FormatTraits* format = nullptr;   // null: a type this build does not know
  uint64_t offset = 0;                    // from the start of the data section
  uint64_t nbytes = 0;                    // 0 when the type is unknown
  uint64_t info_pos = 0;                  // byte offset of the info record (for messages)

  int64_t numel() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  // Row-major shape, outermost first: a Linear W[out, in] has ne = {in, out}.
  Shape shape() const;
  // "tq2_0", or "unknown type 39".
  std::string type_name() const;
};

class GgufFile {
 public:
  // Maps `path` and parses it. Errors name the file, the field and its byte offset.
  static GgufFile open(const std::string& path);
  // Parses bytes already in memory (tests, fuzzing).
  static GgufFile parse(MappedFile file);

  uint32_t version() const { return version_; }
  const GgufMetadata& metadata() const { return meta_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(std::string_view name) const;
  const GgufTensorInfo& tensor(std::string_view name) const;  // Error if absent

  // general.architecture, or "" when absent.
  std::string architecture() const;
  // True for bitnet.cpp's files, where ggml type 36 is I2_S.
  bool bitnet_fork() const { return bitnet_fork_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  const std::string& path() const { return file_->path(); }
  const MappedFile& mapped_file() const { return *file_; }
  size_t file_size() const { return file_->size(); }
  // The header, metadata and tensor infos leave the resident set (all parsed
  // by now; metadata string arrays that are read again come back from the
  // file). A loader calls this once it has built what it needs from them.
  void drop_metadata_pages() const;

  // The tensor's bytes inside the file; Error for an unknown type.
  std::span<const std::byte> data(const GgufTensorInfo& t) const;
  // A view for the loader: F32/F16/BF16 as typed tensors, block formats as
  // Packed bytes ([nbytes]); Error for an unknown type. The memory is
  // read-only (mapped with PROT_READ) and lives as long as this GgufFile.
  TensorView view(const GgufTensorInfo& t) const;

 private:
  // Shared: metadata string arrays point into the file and keep it mapped.
  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  GgufMetadata meta_;
  std::vector<GgufTensorInfo> tensors_;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  bool bitnet_fork_ = false;

  friend class GgufParser;
};

// Is this file's architecture one whose ggml type 36 means I2_S?
bool gguf_is_bitnet_fork(const GgufMetadata& m);

}  // namespace lowbit
