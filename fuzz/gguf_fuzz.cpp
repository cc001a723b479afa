// GGUF parser: any byte string either parses or throws lowbit::Error; what
// parses can be walked (metadata summaries, tensor views) without faults.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/gguf_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const lowbit::GgufFile f = lowbit::GgufFile::parse(
        lowbit::MappedFile::from_bytes(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.gguf"));
    size_t sink = 0;
    for (const auto& [key, value] : f.metadata().entries()) sink += lowbit::gguf_value_summary(value).size();
    for (const auto& t : f.tensors()) {
      sink += t.shape().numel() + t.type_name().size();
      if (!t.format) continue;
      const auto bytes = f.data(t);
      if (!bytes.empty()) sink += size_t(bytes.front()) + size_t(bytes.back());
      sink += size_t(f.view(t).numel());
    }
    (void)sink;
  } catch (const lowbit::Error&) {
  }
  return 0;
}
