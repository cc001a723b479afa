// Where the project's shared data files (the LLaMA-3 tiktoken ranks,
// tinyshakespeare) are found: they live next to the checkout, in
// ../shared/data, rather than in the repository.
#pragma once

#include <string>
#include <string_view>

namespace lowbit {

// The first existing of: $LOWBIT_DATA_DIR/name, <source>/../shared/data/name,
// <source>/../../shared/data/name. Empty if none exists.
std::string find_shared_data(std::string_view name);

}  // namespace lowbit
