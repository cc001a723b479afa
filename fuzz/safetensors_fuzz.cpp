// safetensors parser: any byte string either parses or throws lowbit::Error;
// every tensor of a parsed file can be read in full.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/safetensors_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const lowbit::SafetensorsFile f = lowbit::SafetensorsFile::parse(lowbit::MappedFile::from_bytes(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.safetensors"));
    size_t sink = f.metadata().size();
    for (const auto& t : f.tensors()) {
      const auto bytes = f.data(t);
      if (!bytes.empty()) sink += size_t(bytes.front()) + size_t(bytes.back());
      if (t.dtype->has_dtype && t.shape.size() <= 4) sink += size_t(f.view(t).numel());
    }
    (void)sink;
  } catch (const lowbit::Error&) {
  }
  return 0;
}
