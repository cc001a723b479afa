// NumPy functions over the ternary storage formats (formats/*: TQ1_0,
// TQ2_0, I2_S, byte-exact with ggml / bitnet.cpp) and the ternary GEMV of
// kernels/ternary_matmul.hpp on weights in those formats.
#include <string>

#include "bindings.hpp"
#include "core/error.hpp"
#include "formats/format.hpp"
#include "kernels/ternary_matmul.hpp"

namespace lowbit::py {

namespace {

const FormatTraits& ternary_format(const std::string& name) {
  const FormatTraits* f = find_format(name);
  if (!f || (f->format != Format::TQ1_0 && f->format != Format::TQ2_0 && f->format != Format::I2_S))
    throw pb::value_error("format must be one of tq1_0, tq2_0, i2_s, got '" + name + "'");
  return *f;
}

void check_elems(const FormatTraits& f, int64_t n) {
  if (n <= 0 || n % f.block_elems != 0)
    throw pb::value_error(std::string(f.name) + ": the element count " + std::to_string(n) +
                          " must be a positive multiple of " + std::to_string(f.block_elems));
}

PackedTernary pack_format(const FormatTraits& f, const U8& data, int64_t out, int64_t in) {
  check_elems(f, out * in);
  if (int64_t(data.size()) != format_bytes(f, out * in))
    throw pb::value_error(std::string(f.name) + ": expected " + std::to_string(format_bytes(f, out * in)) +
                          " bytes for a " + std::to_string(out) + " x " + std::to_string(in) + " matrix, got " +
                          std::to_string(data.size()));
  switch (f.format) {
    case Format::TQ1_0: return pack_tq1_0(data.data(), out, in);
    case Format::TQ2_0: return pack_tq2_0(data.data(), out, in);
    default: return pack_i2_s(data.data(), out, in);
  }
}

pb::array_t<float> matmul(const PackedTernary& w, const F32& x) {
  const Dims d = dims_2d(x, "x");
  if (d.cols != w.in)
    throw pb::value_error("x: last dimension is " + std::to_string(d.cols) + ", the weight has " +
                          std::to_string(w.in) + " columns");
  pb::array_t<float> y({d.rows, w.out});
  const float* xp = x.data();
  float* yp = y.mutable_data();
  {
    pb::gil_scoped_release nogil;
    ternary_matmul(w, xp, d.rows, yp);
  }
  return y;
}

}  // namespace

void bind_formats(pb::module_& m) {
  m.def(
      "pack",
      [](const std::string& format, const F32& x) {
        const FormatTraits& f = ternary_format(format);
        const int64_t n = int64_t(x.size());
        check_elems(f, n);
        pb::array_t<uint8_t> out(format_bytes(f, n));
        f.from_float(x.data(), out.mutable_data(), n);
        return out;
      },
      pb::arg("format"), pb::arg("x"),
      "Packs float values (ternary times a scale) into a format's bytes (tq1_0, tq2_0, i2_s)");
  m.def(
      "unpack",
      [](const std::string& format, const U8& data, int64_t n) {
        const FormatTraits& f = ternary_format(format);
        check_elems(f, n);
        if (int64_t(data.size()) != format_bytes(f, n))
          throw pb::value_error(std::string(f.name) + ": " + std::to_string(n) + " elements need " +
                                std::to_string(format_bytes(f, n)) + " bytes, got " + std::to_string(data.size()));
        pb::array_t<float> out(n);
        f.to_float(data.data(), out.mutable_data(), n);
        return out;
      },
      pb::arg("format"), pb::arg("data"), pb::arg("n"), "Unpacks n elements of a format's bytes to float32");
  m.def(
      "ternary_matmul",
      [](const I8& w, float scale, const F32& x) {
        const Dims d = dims_2d(w, "w");
        for (int64_t i = 0; i < d.rows * d.cols; ++i)
          if (w.data()[i] < -1 || w.data()[i] > 1) throw pb::value_error("w: values must be -1, 0 or +1");
        const PackedTernary p = pack_ternary(w.data(), d.rows, d.cols, scale);
        return matmul(p, x);
      },
      pb::arg("w"), pb::arg("scale"), pb::arg("x"),
      "y = (W x) with W = w * scale ternary [out, in], x [T, in] quantized per token to int8 (the kernels' GEMV)");
  m.def(
      "ternary_matmul_packed",
      [](const std::string& format, const U8& data, int64_t out, int64_t in, const F32& x) {
        return matmul(pack_format(ternary_format(format), data, out, in), x);
      },
      pb::arg("format"), pb::arg("data"), pb::arg("out"), pb::arg("in"), pb::arg("x"),
      "The same GEMV on a weight stored in a GGUF format (row-major [out, in] with ne0 = in)");
}

}  // namespace lowbit::py
