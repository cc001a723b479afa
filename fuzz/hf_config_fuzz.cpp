// config.json of a Hugging Face checkpoint: any byte string either parses
// (as a decoder's config, as HGRN-Bit's) or throws lowbit::Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "io/hf_config.hpp"
#include "model/hgrn_hf_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    (void)lowbit::parse_hf_config(text, "fuzz/config.json");
  } catch (const lowbit::Error&) {}
  try {
    (void)lowbit::parse_hgrn_hf_config(text, "fuzz/config.json");
  } catch (const lowbit::Error&) {}
  return 0;
}
