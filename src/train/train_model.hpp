// The BitNet decoder of src/model as a trainable graph: f32 shadow weights,
// each projection a LinearLayer (float, BitLinear v1, b1.58, H-BitLinear)
// that quantizes in its forward and passes gradients straight through in
// its backward. Forward and backward are written out op by op (llm.c
// style) over activations allocated once per batch shape.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "core/tensor.hpp"
#include "model/config.hpp"
#include "model/decoder_block.hpp"
#include "nn/linear_layer.hpp"
#include "train/trainable_model.hpp"

namespace lowbit {


struct ProjSpec {
  LinearType type = LinearType::BitLinear158;
  LinearOptions opt;
};

struct TrainModelSpec {
  ModelConfig arch;  // n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff, rope, eps, relu^2, tied
  // proj[layer][p]: per layer and per projection (bit widths may differ).
  std::vector<std::array<ProjSpec, kProjCount>> proj;
};

class TrainModel : public TrainableModel {
 public:
  // Weights initialised like the usual PyTorch defaults (N(0, 0.02) for
  // matrices, ones for norms), from rng.
  TrainModel(const TrainModelSpec& spec, Rng& rng);
  ~TrainModel() override;

  const TrainModelSpec& spec() const { return spec_; }
  std::vector<Param> params() override;

  // Mean cross-entropy of targets [B*T] given inputs [B*T] (B sequences of
  // T tokens, positions 0..T-1). Each projection outputs
  // blend * quantized + (1 - blend) * float (progressive blending). Keeps
  // the activations backward() needs.
  float forward(const int32_t* inputs, const int32_t* targets, int64_t B, int64_t T) override;
  // Adds the gradients of the last forward's loss to the params' grads
  // (call zero_grads before the forward).
  void backward() override;
  void zero_grads() override;

  // After the optimizer changed the f32 shadow weights.
  void requantize() override;
  // Rebuilds projection p of layer l with a new spec, keeping its weight
  // (progressive quantization: lowering activation bits mid-training).
  void set_proj_spec(int64_t layer, int p, const ProjSpec& s);
  // 1 = fully quantized forward (the default); 0 = float.
  void set_blend(float b) override { blend_ = b; }
  // Defined in train_model_hooks.cpp (with export_gguf): the activation
  // bits of every H-BitLinear (act_bits) and BitLinear v1 (bits) projection.
  void set_act_bits(int bits) override;
  void export_gguf(const Tokenizer& tok, const std::string& type, const std::string& path) override;
  float blend() const { return blend_; }
  // On (the default): each ternary projection's quantized input is kept from
  // the forward for the backward and shared by the projections reading the
  // same input. Off: every layer's own forward and backward, which quantize
  // again (the reference the tests compare the kept path with, bit for bit).
  void set_keep_quantized_acts(bool on) { keep_quantized_acts_ = on; }

  LinearLayer& proj(int64_t layer, int p) { return *layers_[size_t(layer)].proj[p]; }
  Tensor& tok_embd() { return tok_embd_; }
  int64_t n_params() const override;

 private:
  struct Layer {
    Tensor attn_norm, attn_sub_norm, ffn_norm, ffn_sub_norm;
    Tensor d_attn_norm, d_attn_sub_norm, d_ffn_norm, d_ffn_sub_norm;
    std::unique_ptr<LinearLayer> proj[kProjCount];
    Tensor dproj[kProjCount];
  };
  struct Acts;       // per-layer saved activations
  struct HeadActs;   // what the last forward saved above the blocks
  struct BackBufs;   // backward scratch, sized once per call

  // share: a projection of the same layer that read the same x just before
  // (its quantized x is reused when the quantizers agree), or -1.
  void proj_forward(int64_t l, int p, const float* x, int64_t n, float* y, int share = -1);
  void proj_backward(int64_t l, int p, const float* x, const float* dy, int64_t n, float* dx);
  void embed(const int32_t* inputs, const int32_t* targets, int64_t N, float* x) const;
  // out [B*T, d] = block l of x [B*T, d] (x is the block's saved input).
  void block_forward(int64_t l, int64_t B, int64_t T, const float* x, float* out, float* tmp);
  // Final norm, tied head, cross-entropy; keeps the logits and the softmax's row max/sum.
  float head_forward(const float* x, int64_t N);
  // dx [N, d] = dL/dx of the last block's output; d_tok_embd and d_output_norm accumulate.
  void head_backward(int64_t N, float* dx);
  // dx [B*T, d]: dL/d(block l's output) in, dL/d(its input) out.
  void block_backward(int64_t l, int64_t B, int64_t T, float* dx, BackBufs& g);

  TrainModelSpec spec_;
  Tensor tok_embd_, d_tok_embd_, output_norm_, d_output_norm_;
  std::vector<Layer> layers_;
  float blend_ = 1.0f;
  bool keep_quantized_acts_ = true;
  std::vector<std::unique_ptr<Acts>> acts_;
  std::unique_ptr<HeadActs> head_;
  std::unique_ptr<BackBufs> back_;
  std::vector<float> scratch_;
};

}  // namespace lowbit
