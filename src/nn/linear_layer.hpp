// The common interface of every linear layer (docs/MATH.md):
// float Linear, S1 BitLinear v1, S4 BitLinear b1.58, S3 H-BitLinear, S5
// Int8Linear. A layer owns its f32 master weight W [out, in] (PyTorch's
// Linear.weight layout) and quantizes it as its system prescribes; forward
// maps x [tokens, in] to y [tokens, out]; backward is the straight-through
// estimator (STE) of that forward.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/tensor.hpp"

namespace lowbit {

enum class LinearType { Float, BitLinear, BitLinear158, HBitLinear, Int8 };

std::string_view linear_type_name(LinearType t);   // "float", "bitlinear", ...
LinearType parse_linear_type(std::string_view s);  // throws Error naming the valid choices

struct LinearOptions {
  int groups = 1;             // S1: G blocks of output rows, each with its own alpha, beta
  int bits = 8;               // S1: activation bits b (Qb = 2^(b-1))
  bool nonneg = false;        // S1: the eta (x - min x) variant before a non-negative non-linearity
  bool layernorm = true;      // S1: LayerNorm (no affine) on the input before quantization
  bool subln = false;         // S4/S3: RMSNorm (no affine) in front ("subln")
  int act_bits = 8;           // S3: 8 (absmax) or 4 (absmean) activations after the Hadamard transform
  float threshold = 6.0f;     // S5: outlier threshold; 0 disables the decomposition
};

class LinearLayer {
 public:
  virtual ~LinearLayer() = default;

  virtual LinearType type() const = 0;
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

  // y [tokens, out] = layer(x [tokens, in]).
  virtual void forward(const float* x, int64_t tokens, float* y) const = 0;

  // STE backward for the forward on the same x: writes dx [tokens, in] and
  // adds the weight gradient to dw [out, in] (either may be null to skip).
  virtual void backward(const float* x, const float* dy, int64_t tokens, float* dx, float* dw) const = 0;

  // Bytes the quantized weight needs at rest (packed, with its scales).
  virtual size_t weight_bytes() const = 0;

  // The f32 master weight; after changing it call requantize().
  Tensor& weight() { return w_; }
  const Tensor& weight() const { return w_; }
  // Runs inside a job of the global pool (the trainer requantizes its
  // projections in parallel): it must not use the pool itself.
  virtual void requantize() {}

 protected:
  LinearLayer(Tensor w) : w_(std::move(w)), out_(w_.shape()[0]), in_(w_.shape()[1]) {}
  Tensor w_;
  int64_t out_, in_;
};

// Builds a layer of `type` around the f32 weight w [out, in] (moved in).
std::unique_ptr<LinearLayer> make_linear(LinearType type, Tensor w, const LinearOptions& opt = {});

}  // namespace lowbit
