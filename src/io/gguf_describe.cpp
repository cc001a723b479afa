#include "io/gguf_describe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace lowbit {

namespace {

std::string human_bytes(uint64_t n) {
  if (n >= (uint64_t(1) << 30)) return fmt::format("{:.2f} GiB", double(n) / double(uint64_t(1) << 30));
  if (n >= (uint64_t(1) << 20)) return fmt::format("{:.2f} MiB", double(n) / double(1 << 20));
  if (n >= (uint64_t(1) << 10)) return fmt::format("{:.2f} KiB", double(n) / 1024.0);
  return fmt::format("{} B", n);
}

std::string dims(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

std::string totals(int64_t params, uint64_t bytes, int64_t weighed_params) {
  const double bpw = weighed_params ? 8.0 * double(bytes) / double(weighed_params) : 0.0;
  return fmt::format("totals: {} parameters, {} of tensor data ({} bytes), {:.3f} bits/weight\n", params,
                     human_bytes(bytes), bytes, bpw);
}

}  // namespace

std::string describe_gguf(const GgufFile& f) {
  std::string out;
  out += fmt::format("file:         {} ({})\n", f.path(), human_bytes(f.file_size()));
  out += fmt::format("format:       GGUF v{}, alignment {}, data section at byte {}\n", f.version(), f.alignment(),
                     f.data_offset());
  const std::string arch = f.architecture();
  const bool has_i2_s = std::any_of(f.tensors().begin(), f.tensors().end(),
                                    [](const GgufTensorInfo& t) { return t.format && t.format->format == Format::I2_S; });
  out += fmt::format("architecture: {}{}\n", arch.empty() ? "(none)" : arch,
                     has_i2_s ? " (tensors of type 36 = bitnet.cpp's i2_s)" : "");

  const auto& kv = f.metadata().entries();
  out += fmt::format("\nmetadata ({} keys):\n", kv.size());
  size_t kw = 3;
  for (const auto& [k, v] : kv) kw = std::max(kw, k.size());
  for (const auto& [k, v] : kv)
    out += fmt::format("  {:<{}}  {:<6}  {}\n", k, kw, gguf_type_name(v.type()), gguf_value_summary(v, 4));

  const auto& ts = f.tensors();
  out += fmt::format("\ntensors ({}):\n", ts.size());
  size_t nw = 4;
  for (const auto& t : ts) nw = std::max(nw, t.name.size());
  out += fmt::format("  {:<{}}  {:<22}  {:<16}  {:>12}  {:>12}\n", "name", nw, "shape", "type", "bytes", "offset");
  int64_t params = 0, weighed = 0;
  uint64_t bytes = 0;
  for (const auto& t : ts) {
    params += t.numel();
    if (t.format) {
      weighed += t.numel();
      bytes += t.nbytes;
    }
    out += fmt::format("  {:<{}}  {:<22}  {:<16}  {:>12}  {:>12}\n", t.name, nw, t.shape().str(), t.type_name(),
                       t.format ? std::to_string(t.nbytes) : std::string("?"), f.data_offset() + t.offset);
  }
  out += '\n';
  out += totals(params, bytes, weighed);
  if (weighed != params) out += fmt::format("        ({} parameters in tensors of unknown type not counted in bits/weight)\n", params - weighed);
  return out;
}

std::string describe_safetensors(const SafetensorsFile& f) {
  std::string out;
  out += fmt::format("file:         {} ({})\n", f.path(), human_bytes(f.file_size()));
  out += fmt::format("format:       safetensors, JSON header of {} bytes, data section at byte {}\n",
                     f.data_offset() - 8, f.data_offset());
  out += fmt::format("\nmetadata ({} keys):\n", f.metadata().size());
  for (const auto& [k, v] : f.metadata()) out += fmt::format("  {}  \"{}\"\n", k, v);
  out += fmt::format("\ntensors ({}):\n", f.tensors().size());
  size_t nw = 4;
  for (const auto& t : f.tensors()) nw = std::max(nw, t.name.size());
  out += fmt::format("  {:<{}}  {:<22}  {:<8}  {:>12}  {:>12}\n", "name", nw, "shape", "dtype", "bytes", "offset");
  int64_t params = 0;
  uint64_t bytes = 0;
  for (const auto& t : f.tensors()) {
    params += t.numel();
    bytes += t.nbytes();
    out += fmt::format("  {:<{}}  {:<22}  {:<8}  {:>12}  {:>12}\n", t.name, nw, dims(t.shape), t.dtype->name,
                       t.nbytes(), f.data_offset() + t.begin);
  }
  return out + "\n" + totals(params, bytes, params);
}

std::string describe_model_file(const std::string& path) {
  MappedFile m = MappedFile::open(path);
  if (m.size() >= 4 && std::memcmp(m.data(), "GGUF", 4) == 0) return describe_gguf(GgufFile::parse(std::move(m)));
  // safetensors has no magic: its first bytes are a header length, then '{'.
  if (m.size() >= 9 && char(m.data()[8]) == '{') return describe_safetensors(SafetensorsFile::parse(std::move(m)));
  fail("{}: not a GGUF or safetensors file", path);
}

}  // namespace lowbit
