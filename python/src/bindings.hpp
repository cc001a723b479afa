// What the binding files share: one registration function per file, and
// the NumPy array checks that turn a wrong dtype, shape or layout into a
// Python exception naming the argument.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

namespace lowbit::py {

namespace pb = pybind11;

void bind_quant(pb::module_& m);    // bind_quant.cpp: quantizers of quant/*
void bind_formats(pb::module_& m);  // bind_formats.cpp: TQ1_0/TQ2_0/I2_S, GEMV
void bind_layers(pb::module_& m);   // bind_layers.cpp: the lowbit.nn layers' C++ side
void bind_model(pb::module_& m);    // bind_model.cpp: lowbit.Model (GGUF model, Session)
void bind_export(pb::module_& m);   // bind_export.cpp: lowbit.export (GgufWriter)
void bind_convert(pb::module_& m);  // bind_convert.cpp: lowbit.convert (the HF converter)

// C-contiguous array types: pybind11 copies/converts anything else, so the
// Python layer checks dtypes and contiguity first (lowbit/_checks.py) and
// these only see conforming arrays.
using F32 = pb::array_t<float, pb::array::c_style | pb::array::forcecast>;
using I8 = pb::array_t<int8_t, pb::array::c_style | pb::array::forcecast>;
using U8 = pb::array_t<uint8_t, pb::array::c_style | pb::array::forcecast>;

// Rows and columns of a 2-D array (a 1-D array is one row); throws
// ValueError naming `what` otherwise.
struct Dims {
  int64_t rows, cols;
};
Dims dims_2d(const pb::array& a, const char* what);

}  // namespace lowbit::py
