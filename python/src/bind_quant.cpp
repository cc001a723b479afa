// NumPy functions over the quantizers of quant/act_quant.hpp and
// quant/weight_quant.hpp: each returns the quantized values and the
// statistics the C++ layers use, row by row (one row = one token).
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "quant/act_quant.hpp"
#include "quant/weight_quant.hpp"

namespace lowbit::py {

Dims dims_2d(const pb::array& a, const char* what) {
  if (a.ndim() == 1) return {1, int64_t(a.shape(0))};
  if (a.ndim() == 2) return {int64_t(a.shape(0)), int64_t(a.shape(1))};
  throw pb::value_error(std::string(what) + ": expected a 1-D or 2-D array, got " + std::to_string(a.ndim()) +
                        " dimensions");
}

namespace {

// One per-token activation quantizer applied to every row of x; returns
// (q, stat[rows], step[rows], pass[rows, cols]) with q of type Q.
template <typename Q, typename Fn>
pb::tuple quantize_rows(const F32& x, Fn fn) {
  const Dims d = dims_2d(x, "x");
  pb::array_t<Q> q({d.rows, d.cols});
  pb::array_t<float> stat(d.rows);
  pb::array_t<double> step(d.rows);
  pb::array_t<uint8_t> pass({d.rows, d.cols});
  const float* xp = x.data();
  Q* qp = q.mutable_data();
  uint8_t* pp = pass.mutable_data();
  float* sp = stat.mutable_data();
  double* stp = step.mutable_data();
  {
    pb::gil_scoped_release nogil;
    for (int64_t r = 0; r < d.rows; ++r) {
      const ActQuantResult res = fn(xp + r * d.cols, d.cols, qp + r * d.cols, pp + r * d.cols);
      sp[r] = res.stat;
      stp[r] = res.step;
    }
  }
  return pb::make_tuple(q, stat, step, pass);
}

}  // namespace

void bind_quant(pb::module_& m) {
  m.def(
      "quant_absmax_signed",
      [](const F32& x, int bits) {
        return quantize_rows<float>(x, [bits](const float* r, int64_t n, float* q, uint8_t* p) {
          return quant_absmax_signed(r, n, bits, q, p);
        });
      },
      pb::arg("x"), pb::arg("bits") = 8,
      "S1 b-bit absmax per row: (q float32, gamma, step, pass); q*step ~ x");
  m.def(
      "quant_absmax_shifted",
      [](const F32& x, int bits) {
        return quantize_rows<float>(x, [bits](const float* r, int64_t n, float* q, uint8_t* p) {
          return quant_absmax_shifted(r, n, bits, q, p);
        });
      },
      pb::arg("x"), pb::arg("bits") = 8,
      "S1 shifted (x - min x) variant per row: (q float32, gamma, step, pass); q*step ~ x - min x");
  m.def(
      "quant_int8_absmax",
      [](const F32& x) {
        return quantize_rows<int8_t>(x, [](const float* r, int64_t n, int8_t* q, uint8_t* p) {
          return quant_int8_absmax(r, n, q, p);
        });
      },
      pb::arg("x"), "S4/S3 a8 absmax per row: (q int8, gamma, step, pass); q*step ~ x");
  m.def(
      "quant_int4_absmean",
      [](const F32& x) {
        return quantize_rows<int8_t>(x, [](const float* r, int64_t n, int8_t* q, uint8_t* p) {
          return quant_int4_absmean(r, n, q, p);
        });
      },
      pb::arg("x"), "S3 a4 absmean per row: (q int8 in [-8, 7], beta, step, pass); q*step ~ x");

  m.def(
      "ternarize_absmean",
      [](const F32& w) {
        const Dims d = dims_2d(w, "w");
        TernaryWeights t;
        {
          pb::gil_scoped_release nogil;
          t = ternarize_absmean(w.data(), d.rows * d.cols);
        }
        pb::array_t<int8_t> q({d.rows, d.cols});
        std::copy(t.q.begin(), t.q.end(), q.mutable_data());
        return pb::make_tuple(q, t.scale);
      },
      pb::arg("w"), "S4/S3 absmean ternary weights: (q int8 in {-1, 0, 1}, scale); q*scale ~ w");
  m.def(
      "binarize_weights",
      [](const F32& w, int groups) {
        const Dims d = dims_2d(w, "w");
        if (groups < 1 || d.rows % groups != 0)
          throw pb::value_error("binarize_weights: groups must divide the row count " + std::to_string(d.rows));
        BinaryWeights b;
        {
          pb::gil_scoped_release nogil;
          b = binarize_weights(w.data(), d.rows, d.cols, groups);
        }
        pb::array_t<int8_t> sign({d.rows, d.cols});
        std::copy(b.sign.begin(), b.sign.end(), sign.mutable_data());
        return pb::make_tuple(sign, pb::array_t<float>(b.alpha.size(), b.alpha.data()),
                              pb::array_t<float>(b.beta.size(), b.beta.data()));
      },
      pb::arg("w"), pb::arg("groups") = 1, "S1 binary weights: (sign int8 +-1, alpha[groups], beta[groups])");
  m.def(
      "quantize_int8_rows",
      [](const F32& w) {
        const Dims d = dims_2d(w, "w");
        Int8RowWeights r;
        {
          pb::gil_scoped_release nogil;
          r = quantize_int8_rows(w.data(), d.rows, d.cols);
        }
        pb::array_t<int8_t> cb({d.rows, d.cols});
        std::copy(r.cb.begin(), r.cb.end(), cb.mutable_data());
        return pb::make_tuple(cb, pb::array_t<float>(r.scb.size(), r.scb.data()));
      },
      pb::arg("w"), "S5 row-wise int8 weights: (CB int8, SCB[rows]); CB*SCB/127 ~ w");
}

}  // namespace lowbit::py
