// Human-readable reports of model files for `lowbit info MODEL`: header,
// metadata (arrays abbreviated), the tensor table and totals.
#pragma once

#include <string>

#include "io/gguf_file.hpp"
#include "io/safetensors_file.hpp"

namespace lowbit {

std::string describe_gguf(const GgufFile& f);
std::string describe_safetensors(const SafetensorsFile& f);

// Opens `path` as GGUF (by its magic) or safetensors and describes it; an
// Error naming the file otherwise.
std::string describe_model_file(const std::string& path);

}  // namespace lowbit
