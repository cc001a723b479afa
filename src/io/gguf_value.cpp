#include "io/gguf_value.hpp"

#include <fmt/format.h>

#include <array>

namespace lowbit {

namespace {
constexpr std::array<std::string_view, size_t(GgufType::kCount)> kNames{
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
constexpr std::array<size_t, size_t(GgufType::kCount)> kSizes{1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

template <typename T>
T load(const uint8_t* p) {
  T x;
  std::memcpy(&x, p, sizeof(T));
  return x;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string element(const GgufArray& a, size_t i, size_t max_items) {
  const uint8_t* p = a.raw.data() + i * gguf_scalar_size(a.type);
  switch (a.type) {
    case GgufType::U8: return fmt::format("{}", p[0]);
    case GgufType::I8: return fmt::format("{}", load<int8_t>(p));
    case GgufType::U16: return fmt::format("{}", load<uint16_t>(p));
    case GgufType::I16: return fmt::format("{}", load<int16_t>(p));
    case GgufType::U32: return fmt::format("{}", load<uint32_t>(p));
    case GgufType::I32: return fmt::format("{}", load<int32_t>(p));
    case GgufType::F32: return fmt::format("{}", load<float>(p));
    case GgufType::Bool: return p[0] ? "true" : "false";
    case GgufType::String: break;  // read in order by gguf_array_summary
    case GgufType::Array: return gguf_array_summary(a.arrays[i], max_items);
    case GgufType::U64: return fmt::format("{}", load<uint64_t>(p));
    case GgufType::I64: return fmt::format("{}", load<int64_t>(p));
    case GgufType::F64: return fmt::format("{}", load<double>(p));
    case GgufType::kCount: break;
  }
  return "?";
}
}  // namespace

std::string_view gguf_type_name(GgufType t) {
  return size_t(t) < kNames.size() ? kNames[size_t(t)] : std::string_view("invalid");
}

size_t gguf_scalar_size(GgufType t) { return size_t(t) < kSizes.size() ? kSizes[size_t(t)] : 0; }

GgufArray GgufArray::of(const StringList& v) {
  GgufArray a;
  a.type = GgufType::String;
  a.count = v.size();
  a.strings = GgufStrings::encode(v);
  return a;
}

GgufArray GgufArray::of_arrays(std::vector<GgufArray> v) {
  GgufArray a;
  a.type = GgufType::Array;
  a.count = v.size();
  a.arrays = std::move(v);
  return a;
}

std::string gguf_array_summary(const GgufArray& a, size_t max_items) {
  std::string out = fmt::format("[{} x {}", gguf_type_name(a.type), a.count);
  const size_t shown = a.count < max_items ? size_t(a.count) : max_items;
  auto str = a.strings.begin();
  for (size_t i = 0; i < shown; ++i) {
    out += i ? ", " : ": ";
    if (a.type != GgufType::String) out += element(a, i, max_items);
    else out += str == a.strings.end() ? std::string("?") : quoted(*str++);  // count may disagree (built by hand)
  }
  if (shown < a.count) out += ", ...";
  return out + "]";
}

std::string gguf_value_summary(const GgufValue& v, size_t max_items) {
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) return quoted(x);
        else if constexpr (std::is_same_v<T, GgufArray>) return gguf_array_summary(x, max_items);
        else if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
        else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>) return fmt::format("{}", int(x));
        else return fmt::format("{}", x);
      },
      v.v);
}

}  // namespace lowbit
