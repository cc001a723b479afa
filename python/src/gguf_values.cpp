#include "gguf_values.hpp"

#include <string>

#include "text_stream.hpp"

namespace lowbit::py {

namespace pb = pybind11;

namespace {

template <typename T>
void append_all(pb::list& out, const GgufArray& a) {
  for (const T& x : a.as<T>()) out.append(pb::cast(x));
}

pb::object array_to_py(const GgufArray& a) {
  pb::list out;
  switch (a.type) {
    case GgufType::String:
      for (const std::string& s : a.as<std::string>()) out.append(to_str(s));
      break;
    case GgufType::Array:
      for (const GgufArray& x : a.arrays) out.append(array_to_py(x));
      break;
    case GgufType::U8: append_all<uint8_t>(out, a); break;
    case GgufType::I8: append_all<int8_t>(out, a); break;
    case GgufType::U16: append_all<uint16_t>(out, a); break;
    case GgufType::I16: append_all<int16_t>(out, a); break;
    case GgufType::U32: append_all<uint32_t>(out, a); break;
    case GgufType::I32: append_all<int32_t>(out, a); break;
    case GgufType::U64: append_all<uint64_t>(out, a); break;
    case GgufType::I64: append_all<int64_t>(out, a); break;
    case GgufType::F32: append_all<float>(out, a); break;
    case GgufType::F64: append_all<double>(out, a); break;
    case GgufType::Bool:
      for (bool b : a.as<bool>()) out.append(pb::bool_(b));
      break;
    default: break;
  }
  return out;
}

}  // namespace

pb::object gguf_value_to_py(const GgufValue& v) {
  return std::visit(
      [](const auto& x) -> pb::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>)
          return to_str(x);
        else if constexpr (std::is_same_v<T, GgufArray>)
          return array_to_py(x);
        else
          return pb::cast(x);
      },
      v.v);
}

pb::dict gguf_metadata_to_py(const GgufMetadata& m) {
  pb::dict d;
  for (const auto& [k, v] : m.entries()) d[to_str(k)] = gguf_value_to_py(v);
  return d;
}

}  // namespace lowbit::py
