// Test helpers: golden files written by the NumPy scripts in tests/reference/.
#pragma once

#include <string>

#include "core/tensor.hpp"
#include "io/npy.hpp"

namespace lowbit::test {

inline std::string golden_path(const std::string& name) {
  return std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/" + name;
}

inline Tensor load_golden(const std::string& name) { return npy_load(golden_path(name)); }

}  // namespace lowbit::test
