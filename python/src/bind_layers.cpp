// The C++ side of lowbit.nn.
//
// Training mode (linear_forward / linear_backward) runs the library's own
// layers (nn/*: make_linear) on the current f32 master weight: the exact
// quantizer math forward and the straight-through estimator backward of
// nn/ste.hpp; lowbit/nn.py wraps the pair in a torch.autograd.Function.
//
// Eval mode (PackedLinear) quantizes and packs the weight once and runs the
// packed kernels (ternary 2-bit codes, binary sign bits, int8 rows). It
// repeats the training forward's arithmetic around the kernels' exact int32
// accumulators - the same per-token transform and quantizer calls, the same
// double rescale in the same order - so both modes give the same floats,
// bit for bit (python/tests/test_nn_layers.py checks it).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "bindings.hpp"
#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/binary_matmul.hpp"
#include "kernels/ternary_matmul.hpp"
#include "nn/bit_linear.hpp"
#include "nn/linear_layer.hpp"
#include "nn/norms.hpp"
#include "nn/ternary_linear.hpp"
#include "quant/act_quant.hpp"
#include "kernels/fwht.hpp"
#include "quant/hadamard.hpp"
#include "quant/int8_decompose.hpp"
#include "quant/int_matmul.hpp"
#include "quant/weight_quant.hpp"

namespace lowbit::py {

namespace {

Tensor tensor_from(const F32& a, int64_t rows, int64_t cols) {
  Tensor t = Tensor::f32({rows, cols});
  std::memcpy(t.data<float>(), a.data(), size_t(rows * cols) * sizeof(float));
  return t;
}

void check_cols(const Dims& d, int64_t in, const char* what) {
  if (d.cols != in)
    throw pb::value_error(std::string(what) + ": last dimension is " + std::to_string(d.cols) +
                          ", the layer's in_features is " + std::to_string(in));
}

// A layer of the library around a copy of w (requantized on construction).
std::unique_ptr<LinearLayer> layer_for(const std::string& type, const F32& w, const LinearOptions& opt) {
  const Dims dw = dims_2d(w, "weight");
  return make_linear(parse_linear_type(type), tensor_from(w, dw.rows, dw.cols), opt);
}

// The activation side of S4 / S3 for one token, as TernaryLinear does it:
// h = transform(x) (RMSNorm "subln", Hadamard for S3), then the quantizer.
double ternary_quantize_token(LinearType type, const LinearOptions& opt, const float* x, int64_t in, float* h,
                              int8_t* q) {
  if (opt.subln)
    subln_forward(x, in, h);
  else
    std::copy(x, x + in, h);
  if (type == LinearType::HBitLinear) {
    fwht_f32(h, in);  // the SIMD f32 transform HBitLinear's forward uses
    if (opt.act_bits == 4) return quant_int4_absmean(h, in, q, nullptr).step;
  }
  return quant_int8_absmax(h, in, q, nullptr).step;
}

// An eval-mode layer: the weight quantized and packed once.
class PackedLinear {
 public:
  PackedLinear(const std::string& type, const F32& w, const LinearOptions& opt)
      : type_(parse_linear_type(type)), opt_(opt) {
    const Dims d = dims_2d(w, "weight");
    out_ = d.rows;
    in_ = d.cols;
    // The library's layer validates the options and quantizes exactly as
    // training does; its quantized weights are what gets packed.
    const auto layer = layer_for(type, w, opt);
    pb::gil_scoped_release nogil;
    switch (type_) {
      case LinearType::BitLinear158:
      case LinearType::HBitLinear: {
        const TernaryWeights& tq = static_cast<const TernaryLinear&>(*layer).quantized();
        scale_ = tq.scale;
        LOWBIT_CHECK(in_ <= kTernaryMaxIn, "packed ternary layer: in_features {} > {}", in_, kTernaryMaxIn);
        ternary_ = pack_ternary(tq.q.data(), out_, in_, tq.scale);
        break;
      }
      case LinearType::BitLinear:
        binary_ = binarize_weights(w.data(), out_, in_, opt.groups);
        binary_packed_ = pack_binary(binary_.sign.data(), out_, in_);
        break;
      case LinearType::Int8:
        int8_ = quantize_int8_rows(w.data(), out_, in_);
        break;
      case LinearType::Float:
        fail("PackedLinear: the float layer has nothing to pack");
    }
  }

  pb::array_t<float> forward(const F32& x) const {
    const Dims d = dims_2d(x, "x");
    check_cols(d, in_, "x");
    pb::array_t<float> y({d.rows, out_});
    const float* xp = x.data();
    float* yp = y.mutable_data();
    {
      pb::gil_scoped_release nogil;
      switch (type_) {
        case LinearType::BitLinear158:
        case LinearType::HBitLinear: ternary_forward(xp, d.rows, yp); break;
        case LinearType::BitLinear: binary_forward(xp, d.rows, yp); break;
        case LinearType::Int8: int8_mixed_matmul(xp, d.rows, int8_, opt_.threshold, yp); break;
        case LinearType::Float: break;
      }
    }
    return y;
  }

  int64_t weight_bytes() const {
    switch (type_) {
      case LinearType::BitLinear158:
      case LinearType::HBitLinear: return ternary_.code_bytes() + int64_t(sizeof(float));
      case LinearType::BitLinear: return binary_packed_.bytes() + int64_t(binary_.beta.size() * sizeof(float));
      case LinearType::Int8: return int64_t(int8_.cb.size() + int8_.scb.size() * sizeof(float));
      case LinearType::Float: return 0;
    }
    return 0;
  }

 private:
  void ternary_forward(const float* x, int64_t tokens, float* y) const {
    QuantizedActivations a;
    a.tokens = tokens;
    a.in = in_;
    a.in_pad = ternary_.in_pad;
    a.q = AlignedBuffer(size_t(tokens * a.in_pad));
    std::memset(a.q.data(), 0, a.q.size());
    a.scale.resize(size_t(tokens));
    a.sum.resize(size_t(tokens));
    std::vector<double> step(static_cast<size_t>(tokens));
    ThreadPool::global().parallel_for(tokens, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> h(static_cast<size_t>(in_));
      for (int64_t t = t0; t < t1; ++t) {
        int8_t* q = a.q.as<int8_t>() + t * a.in_pad;
        step[size_t(t)] = ternary_quantize_token(type_, opt_, x + t * in_, in_, h.data(), q);
        a.scale[size_t(t)] = float(step[size_t(t)]);
        int32_t s = 0;
        for (int64_t k = 0; k < in_; ++k) s += q[k];
        a.sum[size_t(t)] = s;
      }
    });
    std::vector<int32_t> acc(static_cast<size_t>(tokens * out_));
    ternary_matmul_i32(ternary_, a, acc.data());
    // int8_matmul_scaled's rescale: acc * x_step * w_step, in double.
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t o = 0; o < out_; ++o)
        y[t * out_ + o] = float(double(acc[size_t(t * out_ + o)]) * step[size_t(t)] * double(scale_));
  }

  void binary_forward(const float* x, int64_t tokens, float* y) const {
    std::vector<float> q(static_cast<size_t>(tokens * in_));
    std::vector<double> step(static_cast<size_t>(tokens));
    ThreadPool::global().parallel_for(tokens, 1, [&](int64_t t0, int64_t t1) {
      std::vector<float> xn(static_cast<size_t>(in_));
      for (int64_t t = t0; t < t1; ++t) {
        const float* xt = x + t * in_;
        if (opt_.layernorm) {
          layernorm_forward(xt, in_, xn.data());
          xt = xn.data();
        }
        float* qt = q.data() + t * in_;
        step[size_t(t)] = (opt_.nonneg ? quant_absmax_shifted(xt, in_, opt_.bits, qt, nullptr)
                                       : quant_absmax_signed(xt, in_, opt_.bits, qt, nullptr))
                              .step;
      }
    });
    std::vector<double> acc;
    if (opt_.nonneg || opt_.bits > 8 || !binary_forward_acc(binary_, binary_packed_, q.data(), tokens, acc)) {
      std::vector<float> signs(binary_.sign.begin(), binary_.sign.end());
      acc.resize(static_cast<size_t>(tokens * out_));
      exact_int_matmul(q.data(), signs.data(), tokens, in_, out_, std::ldexp(1.0, opt_.bits), acc.data());
    }
    // BitLinear's rescale: acc * beta_g * step, in double.
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t o = 0; o < out_; ++o)
        y[t * out_ + o] = float(acc[size_t(t * out_ + o)] * double(binary_.beta_of_row(o)) * step[size_t(t)]);
  }

  LinearType type_;
  LinearOptions opt_;
  int64_t out_ = 0, in_ = 0;
  float scale_ = 0;
  PackedTernary ternary_;
  BinaryWeights binary_;
  PackedBinary binary_packed_;
  Int8RowWeights int8_;
};

}  // namespace

void bind_layers(pb::module_& m) {
  pb::class_<LinearOptions>(m, "LinearOptions")
      .def(pb::init([](int groups, int bits, bool nonneg, bool layernorm, bool subln, int act_bits, float threshold) {
             return LinearOptions{groups, bits, nonneg, layernorm, subln, act_bits, threshold};
           }),
           pb::arg("groups") = 1, pb::arg("bits") = 8, pb::arg("nonneg") = false, pb::arg("layernorm") = true,
           pb::arg("subln") = false, pb::arg("act_bits") = 8, pb::arg("threshold") = 6.0f)
      .def_readonly("groups", &LinearOptions::groups)
      .def_readonly("bits", &LinearOptions::bits)
      .def_readonly("nonneg", &LinearOptions::nonneg)
      .def_readonly("layernorm", &LinearOptions::layernorm)
      .def_readonly("subln", &LinearOptions::subln)
      .def_readonly("act_bits", &LinearOptions::act_bits)
      .def_readonly("threshold", &LinearOptions::threshold)
      .def("__repr__",
           [](const LinearOptions& o) {
             return fmt::format(
                 "LinearOptions(groups={}, bits={}, nonneg={}, layernorm={}, subln={}, act_bits={}, threshold={})",
                 o.groups, o.bits, o.nonneg, o.layernorm, o.subln, o.act_bits, o.threshold);
           })
      // Picklable, so that torch.save / copy.deepcopy of a model work.
      .def(pb::pickle(
          [](const LinearOptions& o) {
            return pb::make_tuple(o.groups, o.bits, o.nonneg, o.layernorm, o.subln, o.act_bits, o.threshold);
          },
          [](const pb::tuple& t) {
            if (t.size() != 7) throw pb::value_error("LinearOptions: bad pickled state");
            return LinearOptions{t[0].cast<int>(),  t[1].cast<int>(), t[2].cast<bool>(),  t[3].cast<bool>(),
                                 t[4].cast<bool>(), t[5].cast<int>(), t[6].cast<float>()};
          }));

  m.def(
      "linear_forward",
      [](const std::string& type, const F32& w, const F32& x, const LinearOptions& opt) {
        const auto layer = layer_for(type, w, opt);
        const Dims d = dims_2d(x, "x");
        check_cols(d, layer->in_features(), "x");
        pb::array_t<float> y({d.rows, layer->out_features()});
        const float* xp = x.data();
        float* yp = y.mutable_data();
        {
          pb::gil_scoped_release nogil;
          layer->forward(xp, d.rows, yp);
        }
        return y;
      },
      pb::arg("type"), pb::arg("weight"), pb::arg("x"), pb::arg("options"),
      "Training-mode forward of a lowbit layer: y [T, out] for x [T, in], weight [out, in]");
  m.def(
      "linear_backward",
      [](const std::string& type, const F32& w, const F32& x, const F32& dy, const LinearOptions& opt) {
        const auto layer = layer_for(type, w, opt);
        const Dims d = dims_2d(x, "x");
        check_cols(d, layer->in_features(), "x");
        const Dims dd = dims_2d(dy, "grad_output");
        if (dd.rows != d.rows || dd.cols != layer->out_features())
          throw pb::value_error("grad_output: shape does not match the layer's output");
        pb::array_t<float> dx({d.rows, d.cols});
        pb::array_t<float> dw({layer->out_features(), layer->in_features()});
        std::fill(dw.mutable_data(), dw.mutable_data() + dw.size(), 0.0f);
        const float *xp = x.data(), *dyp = dy.data();
        float *dxp = dx.mutable_data(), *dwp = dw.mutable_data();
        {
          pb::gil_scoped_release nogil;
          layer->backward(xp, dyp, d.rows, dxp, dwp);
        }
        return pb::make_tuple(dx, dw);
      },
      pb::arg("type"), pb::arg("weight"), pb::arg("x"), pb::arg("grad_output"), pb::arg("options"),
      "Straight-through backward of a lowbit layer: (dx, dweight)");

  pb::class_<PackedLinear>(m, "PackedLinear")
      .def(pb::init<const std::string&, const F32&, const LinearOptions&>(), pb::arg("type"), pb::arg("weight"),
           pb::arg("options"))
      .def("forward", &PackedLinear::forward, pb::arg("x"))
      .def_property_readonly("weight_bytes", &PackedLinear::weight_bytes);
}

}  // namespace lowbit::py
