#include "io/safetensors_file.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_set>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace lowbit {

namespace {
// The dtypes of the safetensors spec (F8 variants are one byte each).
constexpr std::array<SafetensorsDType, 14> kDTypes{{
    {"F64", 8, false, DType::F32},
    {"F32", 4, true, DType::F32},
    {"F16", 2, true, DType::F16},
    {"BF16", 2, true, DType::BF16},
    {"I64", 8, false, DType::F32},
    {"I32", 4, true, DType::I32},
    {"I16", 2, false, DType::F32},
    {"I8", 1, true, DType::I8},
    {"U64", 8, false, DType::F32},
    {"U32", 4, false, DType::F32},
    {"U16", 2, false, DType::F32},
    {"U8", 1, true, DType::U8},
    {"BOOL", 1, false, DType::F32},
    {"F8_E4M3", 1, false, DType::F32},
}};
constexpr SafetensorsDType kF8E5M2{"F8_E5M2", 1, false, DType::F32};

uint64_t pad8(uint64_t n) { return (n + 7) / 8 * 8; }
}  // namespace

const SafetensorsDType* find_safetensors_dtype(std::string_view name) {
  for (const auto& d : kDTypes)
    if (d.name == name) return &d;
  return name == kF8E5M2.name ? &kF8E5M2 : nullptr;
}

const SafetensorsDType& safetensors_dtype_of(DType t) {
  for (const auto& d : kDTypes)
    if (d.has_dtype && d.dtype == t) return d;
  fail("dtype {} has no safetensors equivalent", dtype_name(t));
}

int64_t SafetensorsTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

struct SafetensorsParser {
  SafetensorsFile& f;
  const std::string& name;

  using json = nlohmann::json;

  void run() {
    const auto bytes = f.file_.bytes();
    LOWBIT_CHECK(bytes.size() >= 8, "{}: not a safetensors file: {} bytes, too short for the header length", name,
                 bytes.size());
    uint64_t n;
    std::memcpy(&n, bytes.data(), 8);
    LOWBIT_CHECK(n <= kSafetensorsMaxHeader, "{}: header length at byte 0 is {}, above the {} byte limit", name, n,
                 kSafetensorsMaxHeader);
    LOWBIT_CHECK(n <= bytes.size() - 8, "{}: header length at byte 0 is {} but only {} bytes follow", name, n,
                 bytes.size() - 8);
    f.data_offset_ = 8 + n;
    const char* h = reinterpret_cast<const char*>(bytes.data() + 8);
    LOWBIT_CHECK(n > 0 && h[0] == '{', "{}: header at byte 8 does not start with '{{'", name);
    const json doc = parse_json(std::string_view(h, n));
    LOWBIT_CHECK(doc.is_object(), "{}: header at byte 8 is not a JSON object", name);
    for (const auto& [key, value] : doc.items()) {
      if (key == "__metadata__") metadata(value);
      else tensor(key, value);
    }
    check_layout(bytes.size() - f.data_offset_);
  }

  // Parses the header, refusing duplicate top-level keys (which a map would
  // silently merge, hiding a second tensor of the same name).
  json parse_json(std::string_view text) {
    std::unordered_set<std::string> seen;
    std::string dup;
    json::parser_callback_t cb = [&](int depth, json::parse_event_t event, json& parsed) {
      if (event == json::parse_event_t::key && depth == 1 && !seen.insert(parsed.get<std::string>()).second)
        dup = parsed.get<std::string>();
      return true;
    };
    json doc;
    try {
      doc = json::parse(text.begin(), text.end(), cb);
    } catch (const json::exception& e) {
      fail("{}: header at byte 8 is not valid JSON: {}", name, e.what());
    }
    LOWBIT_CHECK(dup.empty(), "{}: header names '{}' twice", name, dup);
    return doc;
  }

  void metadata(const json& m) {
    LOWBIT_CHECK(m.is_object(), "{}: __metadata__ is not a JSON object", name);
    for (const auto& [k, v] : m.items()) {
      LOWBIT_CHECK(v.is_string(), "{}: __metadata__ '{}' is not a string", name, k);
      f.metadata_.emplace_back(k, v.get<std::string>());
    }
  }

  static bool is_count(const json& v) { return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0); }

  void tensor(const std::string& key, const json& v) {
    LOWBIT_CHECK(v.is_object(), "{}: tensor '{}' is not a JSON object", name, key);
    SafetensorsTensor t;
    t.name = key;
    const auto dt = v.find("dtype");
    LOWBIT_CHECK(dt != v.end() && dt->is_string(), "{}: tensor '{}' has no dtype string", name, key);
    t.dtype = find_safetensors_dtype(dt->get<std::string>());
    LOWBIT_CHECK(t.dtype, "{}: tensor '{}' has unknown dtype '{}'", name, key, dt->get<std::string>());
    const auto sh = v.find("shape");
    LOWBIT_CHECK(sh != v.end() && sh->is_array(), "{}: tensor '{}' has no shape array", name, key);
    // As in GGUF: the non-zero dims must not overflow in any order either.
    int64_t nonzero = 1;
    for (const json& d : *sh) {
      LOWBIT_CHECK(is_count(d) && d.get<uint64_t>() <= uint64_t(INT64_MAX),
                   "{}: tensor '{}' shape has {}, not a dimension", name, key, d.dump());
      t.shape.push_back(d.get<int64_t>());
      LOWBIT_CHECK(!__builtin_mul_overflow(nonzero, std::max<int64_t>(t.shape.back(), 1), &nonzero),
                   "{}: tensor '{}' shape overflows", name, key);
    }
    const int64_t numel = t.numel();
    const auto off = v.find("data_offsets");
    LOWBIT_CHECK(off != v.end() && off->is_array() && off->size() == 2 && is_count((*off)[0]) && is_count((*off)[1]),
                 "{}: tensor '{}' data_offsets is not [begin, end]", name, key);
    t.begin = (*off)[0].get<uint64_t>();
    t.end = (*off)[1].get<uint64_t>();
    LOWBIT_CHECK(t.begin <= t.end, "{}: tensor '{}' data_offsets [{}, {}] end before begin", name, key, t.begin, t.end);
    uint64_t want = 0;
    LOWBIT_CHECK(!__builtin_mul_overflow(uint64_t(numel), uint64_t(t.dtype->size), &want) && want == t.end - t.begin,
                 "{}: tensor '{}' {} {}: data_offsets [{}, {}] hold {} bytes, the shape needs {}", name, key,
                 t.dtype->name, sh->dump(), t.begin, t.end, t.end - t.begin, want);
    f.tensors_.push_back(std::move(t));
  }

  // The data section must be exactly the tensors, back to back (as the
  // reference implementation requires): no overlap, no gap, nothing after.
  void check_layout(uint64_t data_size) {
    auto& ts = f.tensors_;
    std::sort(ts.begin(), ts.end(), [](const auto& a, const auto& b) {
      return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    uint64_t at = 0;
    for (const SafetensorsTensor& t : ts) {
      LOWBIT_CHECK(t.begin >= at, "{}: tensor '{}' data_offsets [{}, {}] overlap the tensor before it (ends at {})",
                   name, t.name, t.begin, t.end, at);
      LOWBIT_CHECK(t.begin == at, "{}: tensor '{}' data_offsets [{}, {}] leave a gap after byte {}", name, t.name,
                   t.begin, t.end, at);
      LOWBIT_CHECK(t.end <= data_size, "{}: tensor '{}' data_offsets [{}, {}] run past the {} data bytes", name,
                   t.name, t.begin, t.end, data_size);
      at = t.end;
    }
    LOWBIT_CHECK(at == data_size, "{}: {} bytes after the last tensor's data", name, data_size - at);
  }
};

SafetensorsFile SafetensorsFile::open(const std::string& path) { return parse(MappedFile::open(path)); }

SafetensorsFile SafetensorsFile::parse(MappedFile file) {
  SafetensorsFile f;
  f.file_ = std::move(file);
  SafetensorsParser{f, f.file_.path()}.run();
  return f;
}

const SafetensorsTensor* SafetensorsFile::find(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

const SafetensorsTensor& SafetensorsFile::tensor(std::string_view name) const {
  const SafetensorsTensor* t = find(name);
  LOWBIT_CHECK(t, "{}: no tensor named '{}'", path(), name);
  return *t;
}

std::span<const std::byte> SafetensorsFile::data(const SafetensorsTensor& t) const {
  return file_.bytes().subspan(size_t(data_offset_ + t.begin), size_t(t.nbytes()));
}

TensorView SafetensorsFile::view(const SafetensorsTensor& t) const {
  LOWBIT_CHECK(t.dtype->has_dtype, "{}: tensor '{}' has dtype {}, which lowbit cannot load", path(), t.name,
               t.dtype->name);
  LOWBIT_CHECK(t.shape.size() <= size_t(kMaxDims), "{}: tensor '{}' has rank {}, lowbit loads at most {}", path(),
               t.name, t.shape.size(), kMaxDims);
  return TensorView(const_cast<std::byte*>(data(t).data()), t.dtype->dtype, Shape(std::span<const int64_t>(t.shape)));
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  for (auto& [k, v] : metadata_)
    if (k == key) {
      v = std::move(value);
      return;
    }
  metadata_.emplace_back(std::move(key), std::move(value));
}

void SafetensorsWriter::add(std::string name, std::string_view dtype, std::vector<int64_t> shape,
                            std::span<const std::byte> data) {
  LOWBIT_CHECK(name != "__metadata__" && !name.empty(), "safetensors writer: '{}' is not a tensor name", name);
  for (const Entry& e : tensors_) LOWBIT_CHECK(e.name != name, "safetensors writer: duplicate tensor '{}'", name);
  const SafetensorsDType* d = find_safetensors_dtype(dtype);
  LOWBIT_CHECK(d, "safetensors writer: tensor '{}': unknown dtype '{}'", name, dtype);
  int64_t n = 1;
  for (int64_t s : shape) {
    LOWBIT_CHECK(s >= 0, "safetensors writer: tensor '{}': negative dimension", name);
    n *= s;
  }
  LOWBIT_CHECK(uint64_t(n) * d->size == data.size(), "safetensors writer: tensor '{}' {}: got {} bytes, expected {}",
               name, dtype, data.size(), uint64_t(n) * d->size);
  tensors_.push_back({std::move(name), d, std::move(shape), data});
}

void SafetensorsWriter::add(std::string name, const TensorView& t) {
  LOWBIT_CHECK(t.contiguous(), "safetensors writer: tensor '{}' is not contiguous", name);
  std::vector<int64_t> shape(t.shape.dim.begin(), t.shape.dim.begin() + t.shape.rank);
  add(std::move(name), safetensors_dtype_of(t.dtype).name, std::move(shape),
      {static_cast<const std::byte*>(t.data), t.nbytes()});
}

std::string SafetensorsWriter::header() const {
  // Insertion order, compact separators, padded with spaces to 8 bytes: the
  // layout tests/reference/gguf_ref.py also writes.
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (!metadata_.empty()) {
    nlohmann::ordered_json m = nlohmann::ordered_json::object();
    for (const auto& [k, v] : metadata_) m[k] = v;
    h["__metadata__"] = m;
  }
  uint64_t at = 0;
  for (const Entry& e : tensors_) {
    nlohmann::ordered_json t = nlohmann::ordered_json::object();
    t["dtype"] = e.dtype->name;
    t["shape"] = e.shape;
    t["data_offsets"] = {at, at + e.data.size()};
    h[e.name] = t;
    at += e.data.size();
  }
  std::string text = h.dump();
  text.resize(pad8(text.size()), ' ');
  std::string out(8, '\0');
  const uint64_t n = text.size();
  std::memcpy(out.data(), &n, 8);
  return out + text;
}

std::string SafetensorsWriter::serialize() const {
  std::string out = header();
  for (const Entry& e : tensors_) out.append(reinterpret_cast<const char*>(e.data.data()), e.data.size());
  return out;
}

void SafetensorsWriter::write(const std::string& path) const {
  const std::string head = header();
  write_file_atomic(path, [&](std::ostream& out) {
    out.write(head.data(), std::streamsize(head.size()));
    for (const Entry& e : tensors_)
      out.write(reinterpret_cast<const char*>(e.data.data()), std::streamsize(e.data.size()));
  });
}

}  // namespace lowbit
