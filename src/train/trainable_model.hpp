// What the trainer, checkpoints and export need of a model family's
// trainable graph: parameters with their gradients, a loss forward and its
// backward, the quantization hooks, and its own GGUF export. The BitNet
// decoder (train_model.*) and HGRN-Bit (hgrn_train_model.*) implement it;
// make_trainable_model picks one from the config's model.arch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/tensor.hpp"

namespace lowbit {

class Tokenizer;
struct TrainConfig;

// A trainable tensor and its gradient (same shape).
struct Param {
  std::string name;  // GGUF name, e.g. "blk.0.attn_q.weight"
  Tensor* value;
  Tensor* grad;
  bool decay;  // weight decay applies (matrices, not norms)
};

class TrainableModel {
 public:
  virtual ~TrainableModel() = default;

  // Every parameter, in a fixed order (the optimizer's moments follow it).
  virtual std::vector<Param> params() = 0;
  virtual int64_t n_params() const = 0;

  // Mean cross-entropy of targets [B*T] given inputs [B*T] (B sequences of
  // T tokens, positions 0..T-1); keeps what backward() needs.
  virtual float forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) = 0;
  // Adds the gradients of the last forward's loss to the params' grads.
  virtual void backward() = 0;
  virtual void zero_grads() = 0;

  // After the optimizer changed the f32 shadow weights.
  virtual void requantize() = 0;
  // Progressive quantization: 1 = fully quantized forward, 0 = float.
  virtual void set_blend(float b) = 0;
  // Progressive quantization: the activation bits of the projections that
  // have them (BitNet v2's a8 -> a4).
  virtual void set_act_bits(int bits) = 0;

  // Writes the GGUF `lowbit generate` runs (type: the projections' format).
  virtual void export_gguf(const Tokenizer& tok, const std::string& type, const std::string& path) = 0;
};

// The model config.model.arch names ("bitnet-b1.58": the decoder,
// "hgrn-bit"), with arch.n_vocab already the tokenizer's; weights from rng.
std::unique_ptr<TrainableModel> make_trainable_model(const TrainConfig& c, Rng& rng);

}  // namespace lowbit
