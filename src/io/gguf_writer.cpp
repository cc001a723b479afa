#include "io/gguf_writer.hpp"

#include <bit>
#include <cstring>
#include <sstream>

#include "io/file_util.hpp"
#include "io/gguf_file.hpp"

namespace lowbit {

namespace {

template <typename T>
void put(std::string& out, T x) {
  out.append(reinterpret_cast<const char*>(&x), sizeof(T));
}
void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out += s;
}

// Elements of an array of arrays carry no value type of their own.
void put_array(std::string& out, const GgufArray& a) {
  put<uint32_t>(out, uint32_t(a.type));
  put<uint64_t>(out, a.count);
  if (a.type == GgufType::String) {
    out.append(reinterpret_cast<const char*>(a.strings.encoded().data()), a.strings.encoded().size());  // as GGUF encodes them
  } else if (a.type == GgufType::Array) {
    for (const GgufArray& inner : a.arrays) put_array(out, inner);
  } else {
    out.append(reinterpret_cast<const char*>(a.raw.data()), a.raw.size());
  }
}

void put_value(std::string& out, const GgufValue& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) put_string(out, x);
        else if constexpr (std::is_same_v<T, GgufArray>) put_array(out, x);
        else if constexpr (std::is_same_v<T, bool>) put<uint8_t>(out, x ? 1 : 0);
        else put<T>(out, x);
      },
      v.v);
}

void check_array(const GgufArray& a, const std::string& key) {
  const size_t elem = gguf_scalar_size(a.type);
  const bool ok = a.type == GgufType::String   ? a.strings.size() == a.count
                  : a.type == GgufType::Array  ? a.arrays.size() == a.count
                                               : a.type < GgufType::kCount && a.raw.size() == a.count * elem;
  LOWBIT_CHECK(ok, "gguf writer: metadata '{}': array of {} declares {} elements but holds another number", key,
               gguf_type_name(a.type), a.count);
  for (const GgufArray& inner : a.arrays) check_array(inner, key);
}

uint64_t pad_to(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

}  // namespace

void GgufWriter::check_new(const std::string& name, const FormatTraits& format, const Shape& shape) const {
  LOWBIT_CHECK(!name.empty() && name.size() <= kGgufMaxNameLength,
               "gguf writer: tensor name '{}' has {} bytes; ggml accepts 1 to {}", name, name.size(),
               kGgufMaxNameLength);
  for (const Entry& e : tensors_) LOWBIT_CHECK(e.name != name, "gguf writer: duplicate tensor name '{}'", name);
  const int64_t inner = shape.rank ? shape[shape.rank - 1] : 1;
  LOWBIT_CHECK(inner % format.block_elems == 0,
               "gguf writer: tensor '{}' {}: the row length {} is not a multiple of the {} block size {}", name,
               shape.str(), inner, format.name, format.block_elems);
}

void GgufWriter::add_tensor(std::string name, const FormatTraits& format, const Shape& shape,
                            std::span<const std::byte> data) {
  check_new(name, format, shape);
  const uint64_t nbytes = uint64_t(format_bytes(format, shape.numel()));
  LOWBIT_CHECK(data.size() == nbytes, "gguf writer: tensor '{}' {} {}: got {} bytes, expected {}", name, format.name,
               shape.str(), data.size(), nbytes);
  tensors_.push_back({std::move(name), &format, shape, nbytes, data, nullptr});
}

void GgufWriter::add_tensor(std::string name, const FormatTraits& format, const Shape& shape, Producer produce) {
  check_new(name, format, shape);
  const uint64_t nbytes = uint64_t(format_bytes(format, shape.numel()));
  tensors_.push_back({std::move(name), &format, shape, nbytes, {}, std::move(produce)});
}

uint32_t GgufWriter::alignment() const {
  const GgufValue* v = meta_.find("general.alignment");
  if (!v) return kGgufDefaultAlignment;
  const uint32_t* a = std::get_if<uint32_t>(&v->v);
  LOWBIT_CHECK(a && *a && std::has_single_bit(*a), "gguf writer: general.alignment must be a u32 power of two");
  return *a;
}

std::string GgufWriter::header() const {
  const uint64_t align = alignment();
  std::string out;
  put<uint32_t>(out, kGgufMagic);
  put<uint32_t>(out, 3);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, meta_.size());
  for (const auto& [key, value] : meta_.entries()) {
    if (const auto* a = std::get_if<GgufArray>(&value.v)) check_array(*a, key);
    put_string(out, key);
    put<uint32_t>(out, uint32_t(value.type()));
    put_value(out, value);
  }
  uint64_t offset = 0;
  for (const Entry& e : tensors_) {
    put_string(out, e.name);
    put<uint32_t>(out, uint32_t(e.shape.rank));
    for (int d = e.shape.rank - 1; d >= 0; --d) put<int64_t>(out, e.shape[d]);
    put<int32_t>(out, e.format->ggml_type);
    put<uint64_t>(out, offset);
    offset += pad_to(e.nbytes, align);
  }
  if (!tensors_.empty()) out.resize(pad_to(out.size(), align), '\0');
  return out;
}

void GgufWriter::write_to(std::ostream& out) const {
  const uint64_t align = alignment();
  const std::string head = header();
  out.write(head.data(), std::streamsize(head.size()));
  const std::string zeros(align, '\0');
  std::vector<std::byte> scratch;
  for (const Entry& e : tensors_) {
    std::span<const std::byte> bytes = e.data;
    if (e.produce) {
      scratch.assign(e.nbytes, std::byte{0});
      e.produce(scratch);
      bytes = scratch;
    }
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    out.write(zeros.data(), std::streamsize(pad_to(e.nbytes, align) - e.nbytes));
  }
}

std::string GgufWriter::serialize() const {
  std::ostringstream ss;
  write_to(ss);
  return std::move(ss).str();
}

void GgufWriter::write(const std::string& path) const {
  header();  // validate before touching the file system
  write_file_atomic(path, [&](std::ostream& out) { write_to(out); });
}

}  // namespace lowbit
