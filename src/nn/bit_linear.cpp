#include "nn/bit_linear.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "kernels/binary_matmul.hpp"
#include "nn/norms.hpp"
#include "quant/act_quant.hpp"
#include "quant/int_matmul.hpp"

namespace lowbit {

BitLinear::BitLinear(Tensor w, const LinearOptions& opt) : LinearLayer(std::move(w)), opt_(opt) {
  LOWBIT_CHECK(opt.bits >= 2 && opt.bits <= 16, "bitlinear: activation bits must be in [2, 16], got {}", opt.bits);
  requantize();
}

void BitLinear::requantize() {
  wq_ = binarize_weights(w_.data<float>(), out_, in_, opt_.groups);
  w_deq_.resize(size_t(out_ * in_));
  for (int64_t o = 0; o < out_; ++o)
    for (int64_t i = 0; i < in_; ++i) w_deq_[size_t(o * in_ + i)] = wq_.sign[size_t(o * in_ + i)] * wq_.beta_of_row(o);
}

size_t BitLinear::weight_bytes() const { return size_t((out_ * in_ + 7) / 8) + wq_.beta.size() * sizeof(float); }

void BitLinear::quantize_acts(const float* x, int64_t tokens, std::vector<float>& q, std::vector<double>& step,
                              std::vector<uint8_t>* pass) const {
  q.resize(size_t(tokens * in_));
  step.resize(size_t(tokens));
  if (pass) pass->resize(size_t(tokens * in_));
  ThreadPool::global().parallel_for(tokens, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> xn(static_cast<size_t>(in_));
    for (int64_t t = t0; t < t1; ++t) {
      const float* xt = x + t * in_;
      if (opt_.layernorm) {
        layernorm_forward(xt, in_, xn.data());
        xt = xn.data();
      }
      uint8_t* pt = pass ? pass->data() + t * in_ : nullptr;
      float* qt = q.data() + t * in_;
      const ActQuantResult r = opt_.nonneg ? quant_absmax_shifted(xt, in_, opt_.bits, qt, pt)
                                           : quant_absmax_signed(xt, in_, opt_.bits, qt, pt);
      step[size_t(t)] = r.step;
    }
  });
}

bool binary_forward_acc(const BinaryWeights& wq, const PackedBinary& packed, const float* q, int64_t tokens,
                        std::vector<double>& acc) {
  const int64_t in = wq.in, out = wq.out;
  if (in > kBinaryMaxIn) return false;
  std::vector<int8_t> qi(static_cast<size_t>(tokens * in));
  struct Frac {
    int64_t t, k;
    double f;
  };
  std::vector<Frac> fracs;
  for (int64_t t = 0; t < tokens; ++t)
    for (int64_t k = 0; k < in; ++k) {
      const float v = q[t * in + k], i = std::trunc(v);
      if (!(i >= -128 && i <= 127)) return false;
      qi[size_t(t * in + k)] = int8_t(i);
      if (v != i) fracs.push_back({t, k, double(v - i)});
      if (int64_t(fracs.size()) > 64 * (tokens + 1)) return false;
    }
  std::vector<int32_t> acc32(static_cast<size_t>(tokens * out));
  binary_matmul_i32(packed, qi.data(), tokens, acc32.data());
  acc.assign(acc32.begin(), acc32.end());
  for (const Frac& f : fracs)
    for (int64_t o = 0; o < out; ++o) acc[size_t(f.t * out + o)] += f.f * wq.sign[size_t(o * in + f.k)];
  return true;
}

void BitLinear::forward(const float* x, int64_t tokens, float* y) const {
  std::vector<float> q;
  std::vector<double> step;
  quantize_acts(x, tokens, q, step, nullptr);
  std::vector<double> acc;
  const bool on_kernel = !opt_.nonneg && opt_.bits <= 8 && in_ <= kBinaryMaxIn &&
                         binary_forward_acc(wq_, pack_binary(wq_.sign.data(), out_, in_), q.data(), tokens, acc);
  if (!on_kernel) {
    // Exact: |q| <= 2^(b-1) and the weights are signs.
    std::vector<float> signs(wq_.sign.begin(), wq_.sign.end());
    acc.resize(static_cast<size_t>(tokens * out_));
    exact_int_matmul(q.data(), signs.data(), tokens, in_, out_, std::ldexp(1.0, opt_.bits), acc.data());
  }
  ThreadPool::global().parallel_for(tokens, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t o = 0; o < out_; ++o)
        y[t * out_ + o] = float(acc[size_t(t * out_ + o)] * double(wq_.beta_of_row(o)) * step[size_t(t)]);
  });
}

void BitLinear::backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const {
  ste_layer_backward<float>(
      tokens, in_, out_, w_deq_.data(), dy, dx, dw,
      [&](std::vector<float>& q, std::vector<double>& step, std::vector<uint8_t>* pass) {
        quantize_acts(x, tokens, q, step, pass);
      },
      [&](int64_t t, const float* dh, float* dxt) {
        if (opt_.layernorm)
          layernorm_backward(x + t * in_, dh, in_, dxt);
        else
          std::copy(dh, dh + in_, dxt);
      });
}

}  // namespace lowbit
