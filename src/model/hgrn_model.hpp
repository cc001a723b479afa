// The HGRN-Bit model (the MatMul-free LM of Zhu et al., matmulfreellm's
// HGRNBitForCausalLM; docs/MATH.md S6) over a recurrent state:
//
//   x = token_embd[id]
//   per layer:  a = RMSNorm(x) * attn_norm
//               i, f, g = BL_i(a), BL_f(a), BL_g(a)
//               f = sigmoid(f), raised to lb_l + (1 - lb_l) f;  i = silu(i) (1 - f)
//               h = f h + i                          (the state; o = h)
//               x += BL_o(RMSNorm(g) * attn_sub_norm * swish(o))
//               x += BL_down(swiglu(BL_gate_up(RMSNorm(x) * ffn_norm)))
//   logits = BL_output(RMSNorm(x) * output_norm)
//
// BL(x) = W~ . int8(RMSNorm(x, eps 1e-6) * <proj>.norm): every projection is
// a FusedBitLinear, W1.58 x A8 on the ternary kernels (GEMV for one token,
// GEMM for a prefill chunk; the scan over the chunk's tokens is
// sequential and elementwise). Float projection tensors must hold ternary
// x scale values and run the same way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/config.hpp"
#include "model/family.hpp"
#include "model/hgrn_block.hpp"
#include "model/hgrn_state.hpp"
#include "model/matrix.hpp"
#include "model/model.hpp"
#include "model/tensor_ref.hpp"

namespace lowbit {

// Most tokens one pass through the layers takes (longer prompts go in
// chunks: the scratch is sized for this many).
inline constexpr int64_t kHgrnChunk = 256;

class HgrnModel final : public Model {
 public:
  HgrnModel(const ModelFamily& family, const ModelConfig& cfg, const TensorLookup& lookup);

  const ModelConfig& config() const override { return cfg_; }
  const ModelFamily& family() const override { return family_; }
  std::unique_ptr<SequenceState> new_state(int64_t n_ctx) const override;

  void forward(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state, float* logits,
               bool all_logits = false) override;
  void forward_batch(const int32_t* tokens, const int64_t* positions, SequenceState* const* states, int64_t n,
                     float* logits) override;

  size_t bytes_per_token() const override;
  std::string summary() const override;

  // Layer l's lower bound (E values), or null (layer 0, or none in the file).
  const float* lower_bound(int64_t l) const;

 private:
  // A FusedBitLinear: the RMSNorm weight inside it and the ternary weight.
  struct BitProj {
    std::vector<float> norm;
    std::unique_ptr<Matrix> w;
  };
  struct Layer {
    std::vector<float> norm[kHgrnNormCount];
    BitProj proj[kHgrnProjCount];
    std::vector<float> lower_bound;  // empty: none
  };

  void load_layer(int64_t l, const TensorLookup& lookup);
  BitProj load_proj(const TensorLookup& lookup, const std::string& weight, const std::string& norm, int64_t rows,
                    int64_t cols) const;
  void load_lower_bounds(const TensorRef& t);
  void embed(const int32_t* tokens, int64_t T, float* x) const;
  // y [T, rows] = BL(x [T, cols]) (scratch: tmp_).
  void apply(const BitProj& p, const float* x, int64_t T, float* y);
  // The layer stack: x [T, D] in place. `scan(l, i, f, o)` runs the
  // recurrence of layer l over the T rows (o: every h_t).
  template <class Scan>
  void run_layers(float* x, int64_t T, const Scan& scan);
  void head(const float* x, int64_t n, float* logits);
  // Up to kHgrnChunk tokens after the state's; logits of the last one, of
  // every one (all_logits), or none (null).
  void forward_chunk(const int32_t* tokens, int64_t T, HgrnState& s, float* logits, bool all_logits);
  void grow_scratch(int64_t T);
  static HgrnState& state_of(SequenceState& s);

  const ModelFamily& family_;
  ModelConfig cfg_;
  TensorRef tok_embd_;
  int64_t embd_row_bytes_ = 0;
  std::vector<Layer> layers_;
  std::vector<float> output_norm_;
  BitProj output_;

  // Scratch, resized to the largest batch seen: decoding never allocates.
  std::vector<float> x_, a_, i_, f_, g_, u_, tmp_, norm_;
};

}  // namespace lowbit
