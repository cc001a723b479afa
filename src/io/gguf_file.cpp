#include "io/gguf_file.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <unordered_set>

namespace lowbit {

static_assert(std::endian::native == std::endian::little, "GGUF is read as little-endian in place");

// Reads the file front to back. Every read is bounds-checked against the
// bytes left, and every count is checked against what those bytes could
// hold before anything is allocated, so no input can crash us or make us
// allocate much more than the file's own size.
class GgufParser {
 public:
  explicit GgufParser(GgufFile& f) : f_(f), buf_(f.file_->bytes()), name_(f.file_->path()) {}

  void run() {
    header();
    for (uint64_t i = 0; i < n_kv_; ++i) key_value(i);
    alignment();
    f_.bitnet_fork_ = gguf_is_bitnet_fork(f_.meta_);
    f_.tensors_.reserve(size_t(n_tensors_));
    for (uint64_t i = 0; i < n_tensors_; ++i) tensor_info(i);
    data_section();
  }

 private:
  size_t left() const { return buf_.size() - pos_; }

  void need(uint64_t n, std::string_view field) {
    LOWBIT_CHECK(n <= left(), "{}: {} at byte {}: needs {} bytes but the file ends after {} more", name_, field, pos_,
                 n, left());
  }
  template <typename T>
  T read(std::string_view field) {
    need(sizeof(T), field);
    T x;
    std::memcpy(&x, buf_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return x;
  }
  // Checks a string's length and steps over it; returns its bytes.
  std::string_view skip_string(std::string_view field) {
    const size_t at = pos_;
    const uint64_t len = read<uint64_t>(field);
    LOWBIT_CHECK(len <= left(), "{}: {} at byte {}: string length {} exceeds the {} bytes left in the file", name_,
                 field, at, len, left());
    const std::string_view s(reinterpret_cast<const char*>(buf_.data() + pos_), size_t(len));
    pos_ += len;
    return s;
  }
  std::string read_string(std::string_view field) { return std::string(skip_string(field)); }

  void header() {
    const uint32_t magic = read<uint32_t>("magic");
    LOWBIT_CHECK(magic == kGgufMagic, "{}: not a GGUF file: magic at byte 0 is {:#010x}, expected \"GGUF\"", name_,
                 magic);
    f_.version_ = read<uint32_t>("version");
    const uint32_t v = f_.version_;
    LOWBIT_CHECK((v & 0xffff) != 0, "{}: version at byte 4 is {:#x}: a big-endian GGUF file, not supported", name_, v);
    LOWBIT_CHECK(v == 2 || v == 3, "{}: version at byte 4 is {}; only GGUF versions 2 and 3 are supported", name_, v);
    n_tensors_ = count("n_tensors", kMinTensorInfo);
    n_kv_ = count("n_kv", kMinKeyValue);
  }

  // A count is bounded by the bytes left, given each item's smallest size.
  uint64_t count(std::string_view field, uint64_t min_item) {
    const size_t at = pos_;
    const uint64_t n = read<uint64_t>(field);
    LOWBIT_CHECK(n <= uint64_t(std::numeric_limits<int64_t>::max()), "{}: {} at byte {} is negative ({})", name_,
                 field, at, int64_t(n));
    LOWBIT_CHECK(n <= left() / min_item, "{}: {} at byte {} is {}, more than the {} bytes left in the file can hold",
                 name_, field, at, n, left());
    return n;
  }

  void key_value(uint64_t i) {
    const size_t at = pos_;
    std::string key = read_string(fmt::format("key of metadata entry {}", i));
    LOWBIT_CHECK(!key.empty(), "{}: key of metadata entry {} at byte {} is empty", name_, i, at);
    LOWBIT_CHECK(!f_.meta_.contains(key), "{}: duplicate metadata key '{}' at byte {}", name_, key, at);
    const std::string field = fmt::format("metadata '{}'", key);
    const GgufType type = value_type(field + " type");
    f_.meta_.add(std::move(key), value(type, field, 0));
  }

  GgufType value_type(std::string_view field) {
    const size_t at = pos_;
    const uint32_t t = read<uint32_t>(field);
    LOWBIT_CHECK(t < uint32_t(GgufType::kCount), "{}: {} at byte {} is {}, not a GGUF value type (0..12)", name_,
                 field, at, int32_t(t));
    return GgufType(t);
  }

  template <typename T>
  GgufValue scalar(std::string_view field) {
    return GgufValue(read<T>(field));
  }

  GgufValue value(GgufType type, std::string_view field, int depth) {
    switch (type) {
      case GgufType::U8: return scalar<uint8_t>(field);
      case GgufType::I8: return scalar<int8_t>(field);
      case GgufType::U16: return scalar<uint16_t>(field);
      case GgufType::I16: return scalar<int16_t>(field);
      case GgufType::U32: return scalar<uint32_t>(field);
      case GgufType::I32: return scalar<int32_t>(field);
      case GgufType::F32: return scalar<float>(field);
      case GgufType::Bool: return GgufValue(boolean(field));
      case GgufType::String: return GgufValue(read_string(field));
      case GgufType::Array: return GgufValue(array(field, depth + 1));
      case GgufType::U64: return scalar<uint64_t>(field);
      case GgufType::I64: return scalar<int64_t>(field);
      case GgufType::F64: return scalar<double>(field);
      case GgufType::kCount: break;
    }
    fail("{}: {}: invalid value type", name_, field);
  }

  bool boolean(std::string_view field) {
    const size_t at = pos_;
    const uint8_t b = read<uint8_t>(field);
    LOWBIT_CHECK(b <= 1, "{}: {} at byte {} is a bool of value {}, expected 0 or 1", name_, field, at, b);
    return b == 1;
  }

  GgufArray array(std::string_view field, int depth) {
    LOWBIT_CHECK(depth <= kGgufMaxArrayDepth, "{}: {} at byte {}: arrays nested deeper than {}", name_, field, pos_,
                 kGgufMaxArrayDepth);
    GgufArray a;
    a.type = value_type(fmt::format("{} element type", field));
    const size_t elem = gguf_scalar_size(a.type);
    const uint64_t min_elem = a.type == GgufType::String ? 8 : a.type == GgufType::Array ? 12 : elem;
    a.count = count(fmt::format("{} length", field), min_elem);
    if (elem) {
      const size_t at = pos_;
      need(a.count * elem, field);
      a.raw.assign(reinterpret_cast<const uint8_t*>(buf_.data() + pos_),
                   reinterpret_cast<const uint8_t*>(buf_.data() + pos_ + a.count * elem));
      pos_ += a.count * elem;
      if (a.type == GgufType::Bool)
        for (size_t i = 0; i < a.raw.size(); ++i)
          LOWBIT_CHECK(a.raw[i] <= 1, "{}: {} element {} at byte {} is a bool of value {}, expected 0 or 1", name_,
                       field, i, at + i, a.raw[i]);
    } else if (a.type == GgufType::String) {
      // Checked one by one, then left in the file.
      const size_t at = pos_;
      for (uint64_t i = 0; i < a.count; ++i) skip_string(field);
      a.strings = GgufStrings::view(f_.file_, buf_.subspan(at, pos_ - at), a.count);
    } else {
      a.arrays.reserve(size_t(a.count));
      // An element of an array of arrays is its own element type, count and
      // elements, without a value type in front (gguf-py _pack_val).
      for (uint64_t i = 0; i < a.count; ++i) a.arrays.push_back(array(field, depth + 1));
    }
    return a;
  }

  void alignment() {
    const GgufValue* v = f_.meta_.find("general.alignment");
    if (!v) return;
    const uint32_t* a = std::get_if<uint32_t>(&v->v);
    LOWBIT_CHECK(a, "{}: metadata 'general.alignment' has type {}, expected u32", name_, gguf_type_name(v->type()));
    LOWBIT_CHECK(*a != 0 && std::has_single_bit(*a), "{}: metadata 'general.alignment' is {}, not a power of two",
                 name_, *a);
    f_.alignment_ = *a;
  }

  void tensor_info(uint64_t i) {
    GgufTensorInfo t;
    t.info_pos = pos_;
    t.name = read_string(fmt::format("name of tensor {}", i));
    LOWBIT_CHECK(!t.name.empty() && t.name.size() <= kGgufMaxNameLength,
                 "{}: name of tensor {} at byte {} has {} bytes; names must have 1 to {}", name_, i, t.info_pos,
                 t.name.size(), kGgufMaxNameLength);
    LOWBIT_CHECK(names_.insert(t.name).second, "{}: duplicate tensor name '{}' at byte {}", name_, t.name, t.info_pos);
    const std::string field = fmt::format("tensor '{}'", t.name);
    const size_t dims_at = pos_;
    const uint32_t n_dims = read<uint32_t>(field + " n_dims");
    LOWBIT_CHECK(n_dims <= 4, "{}: {} n_dims at byte {} is {}, at most 4 allowed", name_, field, dims_at, n_dims);
    t.n_dims = int(n_dims);
    // The product of the non-zero dims must fit too: with a zero among them
    // the count is 0, but code that multiplies in another order would overflow.
    int64_t nonzero = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const size_t at = pos_;
      t.ne[d] = read<int64_t>(field + " ne");
      LOWBIT_CHECK(t.ne[d] >= 0, "{}: {} ne[{}] at byte {} is negative ({})", name_, field, d, at, t.ne[d]);
      LOWBIT_CHECK(!__builtin_mul_overflow(nonzero, std::max<int64_t>(t.ne[d], 1), &nonzero),
                   "{}: {} ne[{}] at byte {}: element count overflows", name_, field, d, at);
    }
    const int64_t numel = t.numel();
    const size_t type_at = pos_;
    t.ggml_type = read<int32_t>(field + " type");
    // Type 36 is bitnet.cpp's I2_S in every file: bitnet.cpp writes it under
    // bitnet-b1.58, bitnet and llama. (Upstream ggml's 36 was a run-time
    // repacking type; a tensor of another layout fails the size check.)
    t.format = find_ggml_type(t.ggml_type, /*bitnet_fork=*/true);
    const size_t off_at = pos_;
    t.offset = read<uint64_t>(field + " offset");
    LOWBIT_CHECK(t.offset % f_.alignment_ == 0, "{}: {} offset at byte {} is {}, not a multiple of the alignment {}",
                 name_, field, off_at, t.offset, f_.alignment_);
    if (t.format) {
      const FormatTraits& fmt = *t.format;
      LOWBIT_CHECK(t.ne[0] % fmt.block_elems == 0,
                   "{}: {} (type {} at byte {}): ne[0] = {} is not a multiple of the block size {}", name_, field,
                   fmt.name, type_at, t.ne[0], fmt.block_elems);
      const int64_t blocks = numel / fmt.block_elems;
      LOWBIT_CHECK(blocks <= int64_t(buf_.size() / uint64_t(fmt.block_bytes)),
                   "{}: {} shape {} needs more bytes than the file has", name_, field, t.shape().str());
      t.nbytes = uint64_t(format_bytes(fmt, numel));
    }
    f_.tensors_.push_back(std::move(t));
  }

  void data_section() {
    const uint64_t a = f_.alignment_;
    f_.data_offset_ = (pos_ + a - 1) / a * a;
    if (f_.tensors_.empty()) return;
    LOWBIT_CHECK(f_.data_offset_ <= buf_.size(), "{}: data section at byte {} starts past the end of the file ({} bytes)",
                 name_, f_.data_offset_, buf_.size());
    const uint64_t data_size = buf_.size() - f_.data_offset_;
    std::vector<const GgufTensorInfo*> known;
    for (const GgufTensorInfo& t : f_.tensors_) {
      LOWBIT_CHECK(t.offset <= data_size && t.nbytes <= data_size - t.offset,
                   "{}: tensor '{}' (info at byte {}): data [{}, {}) runs past the end of the data section ({} bytes)",
                   name_, t.name, t.info_pos, t.offset, t.offset + t.nbytes, data_size);
      if (t.format) known.push_back(&t);
    }
    std::sort(known.begin(), known.end(), [](auto* x, auto* y) { return x->offset < y->offset; });
    for (size_t i = 1; i < known.size(); ++i) {
      const GgufTensorInfo& p = *known[i - 1];
      const GgufTensorInfo& t = *known[i];
      LOWBIT_CHECK(t.offset >= p.offset + p.nbytes,
                   "{}: tensor '{}' (info at byte {}) data at offset {} overlaps tensor '{}' at [{}, {})", name_,
                   t.name, t.info_pos, t.offset, p.name, p.offset, p.offset + p.nbytes);
    }
  }

  // Smallest encodings: a key/value is a 1-byte key + type + a 1-byte value;
  // a tensor info is a 1-byte name, n_dims, type and offset.
  static constexpr uint64_t kMinKeyValue = 8 + 1 + 4 + 1;
  static constexpr uint64_t kMinTensorInfo = 8 + 1 + 4 + 4 + 8;

  GgufFile& f_;
  std::span<const std::byte> buf_;
  const std::string& name_;
  size_t pos_ = 0;
  uint64_t n_tensors_ = 0, n_kv_ = 0;
  std::unordered_set<std::string> names_;
};

Shape GgufTensorInfo::shape() const {
  std::array<int64_t, 4> d{};
  for (int i = 0; i < n_dims; ++i) d[size_t(i)] = ne[size_t(n_dims - 1 - i)];
  return Shape(std::span<const int64_t>(d.data(), size_t(n_dims)));
}

std::string GgufTensorInfo::type_name() const {
  return format ? std::string(format->name) : fmt::format("unknown type {}", ggml_type);
}

bool gguf_is_bitnet_fork(const GgufMetadata& m) {
  // bitnet.cpp's 2B4T files name their own architecture; its converter also
  // marks files with file_type 40 (LLAMA_FTYPE_MOSTLY_I2_S), unused upstream.
  if (const GgufValue* a = m.find("general.architecture"))
    if (const auto* s = std::get_if<std::string>(&a->v); s && *s == "bitnet-b1.58") return true;
  if (const GgufValue* t = m.find("general.file_type"))
    if (const auto* u = std::get_if<uint32_t>(&t->v); u && *u == 40) return true;
  return false;
}

GgufFile GgufFile::open(const std::string& path) { return parse(MappedFile::open(path)); }

GgufFile GgufFile::parse(MappedFile file) {
  GgufFile f;
  f.meta_ = GgufMetadata(file.path());
  f.file_ = std::make_shared<const MappedFile>(std::move(file));
  GgufParser(f).run();
  return f;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  for (const GgufTensorInfo& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const GgufTensorInfo& GgufFile::tensor(std::string_view name) const {
  const GgufTensorInfo* t = find_tensor(name);
  LOWBIT_CHECK(t, "{}: no tensor named '{}'", path(), name);
  return *t;
}

std::string GgufFile::architecture() const {
  const GgufValue* v = meta_.find("general.architecture");
  const std::string* s = v ? std::get_if<std::string>(&v->v) : nullptr;
  return s ? *s : std::string();
}

std::span<const std::byte> GgufFile::data(const GgufTensorInfo& t) const {
  LOWBIT_CHECK(t.format, "{}: tensor '{}' has {}, which lowbit cannot load", path(), t.name, t.type_name());
  return file_->bytes().subspan(size_t(data_offset_ + t.offset), size_t(t.nbytes));
}

void GgufFile::drop_metadata_pages() const {
  file_->drop_pages(file_->data(), std::min<size_t>(size_t(data_offset_), file_->size()));
}

TensorView GgufFile::view(const GgufTensorInfo& t) const {
  const std::span<const std::byte> d = data(t);
  void* p = const_cast<std::byte*>(d.data());
  switch (t.format->format) {
    case Format::F32: return TensorView(p, DType::F32, t.shape());
    case Format::F16: return TensorView(p, DType::F16, t.shape());
    case Format::BF16: return TensorView(p, DType::BF16, t.shape());
    default: return TensorView(p, DType::Packed, Shape{int64_t(d.size())});
  }
}

}  // namespace lowbit
