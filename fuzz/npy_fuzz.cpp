// .npy parser: any byte string either parses or throws lowbit::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    lowbit::Tensor t = lowbit::npy_parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    (void)t;
  } catch (const lowbit::Error&) {
  }
  return 0;
}
