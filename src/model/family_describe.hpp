// `lowbit info MODEL`'s model section for a GGUF: which family reads it, the
// block structure that family and the file's keys give (gate activation,
// rope pairing and scaling, sub-norms, head), and the formats the
// projections and the head really have, counted from the tensor table.
#pragma once

#include <string>

#include "io/gguf_file.hpp"

namespace lowbit {

std::string describe_family(const GgufFile& f);

}  // namespace lowbit
