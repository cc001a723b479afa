// The straight-through estimator (STE) shared by the quantized layers.
//
// A layer computes y = W_q . Q(h(x)) where h is its per-token transform
// (LayerNorm, RMSNorm, Hadamard, or nothing) and Q a quantizer; W_q is the
// dequantized weight. The STE treats both quantizers as the identity, the
// way PyTorch's `x + (q(x) - x).detach()` does:
//   dW += dy^T . Q(h(x))           (the weight gradient reaches the f32
//                                    master weight unmasked: masking the
//                                    ternary clip would freeze every weight
//                                    beyond 1.5 s for good)
//   dh  = (dy . W_q) * pass        (pass = 0 where the activation clip was
//                                    active, see quant/act_quant.hpp)
//   dx  = h'(x)^T dh               (the transform's own backward)
// The statistics (gamma, beta, eta) are treated as constants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/thread_pool.hpp"

namespace lowbit {

// What a quantized layer fed its matmul, kept for the backward.
struct QuantizedActs {
  std::vector<float> deq;     // [tokens, in]: q * step
  std::vector<uint8_t> pass;  // [tokens, in]: STE mask
};

// a.deq = q * step[t] per token, for q stored as float or int8.
template <typename Q>
void dequantize_acts(const std::vector<Q>& q, const std::vector<double>& step, int64_t tokens, int64_t in,
                     QuantizedActs& a) {
  a.deq.resize(q.size());
  ThreadPool::global().parallel_for(tokens, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t i = 0; i < in; ++i)
        a.deq[std::size_t(t * in + i)] = float(q[std::size_t(t * in + i)] * step[std::size_t(t)]);
  });
}

// dh[k] = 0 where the activation clip was active (pass[k] == 0), k < n.
void apply_ste_mask(const std::vector<uint8_t>& pass, int64_t n, float* dh);

// The two products on dequantized operands (SGEMMs): dw += dy^T deq (if
// dw); dh = dy w_deq, unmasked (if dh).
void ste_products(const std::vector<float>& deq, const float* w_deq, const float* dy, int64_t tokens, int64_t in,
                  int64_t out, float* dh, float* dw);

// dw += dy^T a.deq (if dw); dh = (dy w_deq) * a.pass (if dh).
void ste_linear_backward(const QuantizedActs& a, const float* w_deq, const float* dy, int64_t tokens, int64_t in,
                         int64_t out, float* dh, float* dw);

// The STE backward around a layer's own two products: products(dh) adds
// dy^T Q(h(x)) to dW and, where dh is not null, writes dh = dy . W_q
// unmasked (SGEMMs on dequantized operands, or kernels on the codes); then
// the mask, then transform_back(t, dh_t, dx_t) per token, or nothing where
// the transform is the identity (dh is then written straight into dx).
template <class Products, class TransformBack>
void ste_backward_with(const std::vector<uint8_t>& pass, int64_t tokens, int64_t in, float* dx,
                       bool transform_is_identity, Products products, TransformBack transform_back) {
  if (!dx || transform_is_identity) {
    products(dx);
    if (dx) apply_ste_mask(pass, tokens * in, dx);
    return;
  }
  std::vector<float> dh(std::size_t(tokens * in));
  products(dh.data());
  apply_ste_mask(pass, tokens * in, dh.data());
  ThreadPool::global().parallel_for(tokens, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) transform_back(t, dh.data() + t * in, dx + t * in);
  });
}

// The backward of a quantized layer from the activations its forward fed
// the matmul (a, kept or recomputed): dW and dh as above, then
// transform_back(t, dh_t, dx_t) per token (the layer's h'(x)^T). dx or dw
// may be null (skipped).
template <class TransformBack>
void ste_backward_from(const QuantizedActs& a, int64_t tokens, int64_t in, int64_t out, const float* w_deq,
                       const float* dy, float* dx, float* dw, TransformBack transform_back) {
  ste_backward_with(
      a.pass, tokens, in, dx, false, [&](float* dh) { ste_products(a.deq, w_deq, dy, tokens, in, out, dh, dw); },
      transform_back);
}

// The whole backward of a quantized layer around that rule: quantize(q,
// step, &pass) redoes the forward's activation quantization (codes of type
// Q), then ste_backward_from.
template <typename Q, class Quantize, class TransformBack>
void ste_layer_backward(int64_t tokens, int64_t in, int64_t out, const float* w_deq, const float* dy, float* dx,
                        float* dw, Quantize quantize, TransformBack transform_back) {
  QuantizedActs a;
  std::vector<Q> q;
  std::vector<double> step;
  quantize(q, step, &a.pass);
  dequantize_acts(q, step, tokens, in, a);
  ste_backward_from(a, tokens, in, out, w_deq, dy, dx, dw, transform_back);
}

}  // namespace lowbit
