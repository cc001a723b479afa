// HGRN-Bit (the MatMul-free LM, docs/MATH.md S6) as a trainable graph:
// the forward of model/hgrn_model over B sequences of T tokens (each
// starting from h = 0), and its backward, op by op, in the llm.c style of
// train_model. Every projection, the head included, is a FusedBitLinear
// (nn/hgrn_fused_linear: its own RMSNorm, then b1.58 with the STE); the
// recurrence, the gated norm and swiglu go back through
// nn/hgrn_recurrence's backward functions. Parameters carry the GGUF
// names of model/hgrn_block.hpp, so checkpoints and the export name them
// as the inference model reads them.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/tensor.hpp"
#include "model/config.hpp"
#include "model/hgrn_block.hpp"
#include "nn/hgrn_fused_linear.hpp"
#include "train/cross_entropy.hpp"
#include "train/trainable_model.hpp"

namespace lowbit {

struct HgrnTrainSpec {
  // n_vocab, n_embd (D), n_layer, n_head * head_dim (E, = D: the lower
  // bounds are [L, D]), n_ff (F), rms_eps, tied_output (the head's latent
  // weight is the embedding, ternarized in the head only).
  ModelConfig arch;
  // BitLinear158 (the model), or Float (exact gradients for the tests).
  LinearType proj_type = LinearType::BitLinear158;
};

class HgrnTrainModel final : public TrainableModel {
 public:
  // Embedding and projections N(0, 0.02) (the projections writing into the
  // residual stream 0.02 / sqrt(2 L)), norms ones, lower bounds zeros.
  HgrnTrainModel(const HgrnTrainSpec& spec, Rng& rng);
  ~HgrnTrainModel() override;

  const HgrnTrainSpec& spec() const { return spec_; }
  std::vector<Param> params() override;
  int64_t n_params() const override;
  float forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) override;
  void backward() override;
  void zero_grads() override;
  void requantize() override;
  // HGRN-Bit has no progressive schedule: only b = 1 and 8 bits are accepted.
  void set_blend(float b) override;
  void set_act_bits(int bits) override;
  void export_gguf(const Tokenizer& tok, const std::string& type, const std::string& path) override;

  // The last forward's logits [B*T, n_vocab] (until backward() turns them
  // into their gradient).
  const float* logits() const { return logits_.data(); }
  // The ModelConfig an exported GGUF carries (arch hgrn-bit, untied head).
  ModelConfig gguf_config() const;

 private:
  struct Layer {
    Tensor norm[kHgrnNormCount], dnorm[kHgrnNormCount];
    std::vector<HgrnFusedLinear> proj;  // kHgrnProjCount, in HgrnProj order
    Tensor dproj[kHgrnProjCount];
  };
  struct Acts;  // one layer's saved activations

  const float* embedding() const;
  void block_forward(int64_t l, const float* lb, const float* x, float* out);
  // dx [N, D]: dL/d(block l's output) in, dL/d(its input) out; dlb [D]: the lower bound's gradient.
  void block_backward(int64_t l, const float* lb, float* dx, float* dlb);

  HgrnTrainSpec spec_;
  Tensor tok_embd_, d_tok_embd_;  // tok_embd_ is empty when tied (the head's weight is the embedding)
  Tensor lower_raw_, d_lower_raw_;
  Tensor output_norm_, d_output_norm_;
  std::vector<Layer> layers_;
  std::unique_ptr<HgrnFusedLinear> head_;
  Tensor d_head_;  // untied only

  // The last forward.
  int64_t B_ = 0, T_ = 0;
  std::vector<int32_t> inputs_, targets_;
  std::vector<float> lb_;  // [L, D] lower bounds from lower_raw_
  std::vector<std::unique_ptr<Acts>> acts_;
  std::vector<float> x_out_, inv_f_, xf_, logits_;
  CrossEntropyRows ce_;
  // Step scratch, grown to the largest batch and kept (no allocation or
  // zeroing per step; every user writes before it reads, dlb excepted).
  struct Scratch {
    std::vector<float> gi, gf, h, d1, d2, du, dy, dgz, dout, diz, dfz, dxf, dx, dlb, draw;
  } scratch_;
};

}  // namespace lowbit
