// GGUF metadata values as Python objects: scalars as int/float/bool/str,
// arrays as lists (nested arrays as nested lists).
#pragma once

#include <pybind11/pybind11.h>

#include "io/gguf_metadata.hpp"

namespace lowbit::py {

pybind11::object gguf_value_to_py(const GgufValue& v);
pybind11::dict gguf_metadata_to_py(const GgufMetadata& m);

}  // namespace lowbit::py
