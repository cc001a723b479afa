#include "nn/ternary_linear.hpp"

#include <algorithm>

#include "core/thread_pool.hpp"
#include "kernels/amx.hpp"
#include "nn/float_linear.hpp"
#include "quant/int_matmul.hpp"

namespace lowbit {

TernaryLinear::TernaryLinear(Tensor w, const LinearOptions& opt)
    : LinearLayer(std::move(w)), opt_(opt), amx_(amx_usable()) {
  requantize();
}

void TernaryLinear::requantize() {
  wq_ = ternarize_absmean(w_.data<float>(), out_ * in_);
  packed_current_ = false;
  grad_w_current_ = false;
}

void TernaryLinear::input_grad(const float* dy, int64_t tokens, float* dh) const {
  if (!grad_w_current_) {
    if (amx_) pack_int8_grad_weights(wq_.q.data(), out_, in_, grad_w_);
    else pack_ternary_grad_weights(wq_.q.data(), out_, in_, lut_w_);
    grad_w_current_ = true;
  }
  if (amx_) int8_input_grad(dy, tokens, grad_w_, wq_.scale, dh);
  else ternary_input_grad(dy, tokens, lut_w_, wq_.scale, dh);
}

void TernaryLinear::quantize_acts(const float* x, int64_t tokens, std::vector<int8_t>& q, std::vector<double>& step,
                                  std::vector<uint8_t>* pass) const {
  q.resize(size_t(tokens * in_));
  step.resize(size_t(tokens));
  if (pass) pass->resize(size_t(tokens * in_));
  ThreadPool::global().parallel_for(tokens, 1, [&](int64_t t0, int64_t t1) {
    std::vector<float> h(static_cast<size_t>(in_));
    for (int64_t t = t0; t < t1; ++t) {
      transform(x + t * in_, h.data());
      step[size_t(t)] = quantize(h.data(), q.data() + t * in_, pass ? pass->data() + t * in_ : nullptr).step;
    }
  });
}

void TernaryLinear::forward(const float* x, int64_t tokens, float* y) const {
  std::vector<int8_t> q;
  std::vector<double> step;
  quantize_acts(x, tokens, q, step, nullptr);
  int8_matmul_scaled(q.data(), step.data(), tokens, in_, wq_.q.data(), nullptr, wq_.scale, out_, y);
}

// The training path's products on the forward's quantization, recomputed.
void TernaryLinear::backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const {
  TrainActs a;
  quantize_for_backward(x, tokens, a);
  backward_from(x, a, dy, dx, dw);
}

void TernaryLinear::quantize_for_backward(const float* x, int64_t tokens, TrainActs& a) const {
  a.tokens = tokens;
  quantize_acts(x, tokens, a.q, a.step, &a.deq.pass);
  if (!amx_) {
    dequantize_acts(a.q, a.step, tokens, in_, a.deq);
    return;
  }
  pack_int8_grad_codes(a.q.data(), tokens, in_, a.codes);
  a.step_f.resize(size_t(tokens));
  for (int64_t t = 0; t < tokens; ++t) a.step_f[size_t(t)] = float(a.step[size_t(t)]);
}

void TernaryLinear::quantize_for_training(const float* x, int64_t tokens, TrainActs& a) const {
  quantize_for_backward(x, tokens, a);
  if (!amx_) return;  // the multiply-free forward reads a.q as it is
  // The codes once more for the AMX tiles: rows padded with zeros to a
  // multiple of 64 bytes.
  const int64_t stride = (in_ + 63) / 64 * 64;
  if (a.rows.size() < size_t(tokens * stride)) a.rows = AlignedBuffer(size_t(tokens * stride));
  a.rows_stride = stride;
  ThreadPool::global().parallel_for(tokens, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int8_t* src = a.q.data() + t * in_;
      int8_t* dst = a.rows.as<int8_t>() + t * stride;
      std::copy(src, src + in_, dst);
      std::fill(dst + in_, dst + stride, int8_t(0));
    }
  });
}

// The exact int32 sums of forward's int8 x int8 kernel, the same rescaling:
// forward's y bit for bit.
void TernaryLinear::forward_from(const TrainActs& a, float* y) const {
  if (!packed_current_) {
    if (amx_) pack_int8_tile_weights(wq_.q.data(), out_, in_, tile_w_);
    else pack_ternary_forward_weights(wq_.q.data(), out_, in_, lut_fwd_);
    packed_current_ = true;
  }
  if (amx_) {
    int8_tile_matmul_scaled(tile_w_, a.rows.as<int8_t>(), a.rows_stride, a.tokens, a.step.data(), wq_.scale, y);
    return;
  }
  ternary_forward_i8_scaled(a.q.data(), a.tokens, lut_fwd_, a.step.data(), wq_.scale, y);
}

void TernaryLinear::backward_from(const float* x, const TrainActs& a, const float* dy, float* dx, float* dw) const {
  const int64_t tokens = a.tokens;
  ste_backward_with(
      a.deq.pass, tokens, in_, dx, transform_is_identity(),
      [&](float* dh) {
        if (dw && amx_) int8_weight_grad(dy, out_, a.step_f.data(), a.codes, dw);
        else if (dw) accumulate_dyt_x(dy, a.deq.deq.data(), tokens, in_, out_, dw);
        if (dh) input_grad(dy, tokens, dh);
      },
      [&](int64_t t, const float* dh, float* dxt) { transform_backward(x + t * in_, dh, dxt); });
}

}  // namespace lowbit
