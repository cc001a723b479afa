// The inference model against the independent NumPy forward pass of
// tests/reference/bitnet_ref.py (tiny 2-layer model, every token's logits).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "../common/golden.hpp"
#include "model/decoder_model.hpp"

namespace lowbit {
namespace {

class TinyModel : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto& e : std::filesystem::directory_iterator(test::golden_path("bitnet_tiny"))) {
      const std::string name = e.path().stem().string();  // "blk.0.attn_q.weight"
      tensors_.emplace(name, npy_load(e.path().string()));
    }
    cfg_.arch = "bitnet-b1.58";
    cfg_.n_vocab = 32, cfg_.n_embd = 32, cfg_.n_layer = 2, cfg_.n_head = 4, cfg_.n_head_kv = 2, cfg_.head_dim = 8;
    cfg_.n_ff = 48, cfg_.rope_theta = 10000.0f, cfg_.rms_eps = 1e-5f;
    const Tensor& tok = tensors_.at("tokens");
    for (int64_t i = 0; i < tok.numel(); ++i) tokens_.push_back(int32_t(tok.data<float>()[i]));
  }

  TensorLookup lookup() {
    return [this](std::string_view name) -> std::optional<TensorRef> {
      auto it = tensors_.find(std::string(name));
      if (it == tensors_.end()) return std::nullopt;
      const Tensor& t = it->second;
      TensorRef r;
      r.name = std::string(name);
      r.format = &format_traits(Format::F32);
      r.data = t.data<float>();
      r.rows = t.shape().rank == 2 ? t.shape()[0] : 1;
      r.cols = t.shape()[t.shape().rank - 1];
      return r;
    };
  }

  // Max |a - b| / max |b| over all logits.
  static double rel_error(const std::vector<float>& got, const Tensor& want) {
    double err = 0, scale = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
      err = std::max(err, double(std::fabs(got[size_t(i)] - want.data<float>()[i])));
      scale = std::max(scale, double(std::fabs(want.data<float>()[i])));
    }
    return err / scale;
  }

  std::map<std::string, Tensor> tensors_;
  ModelConfig cfg_;
  std::vector<int32_t> tokens_;
};

TEST_F(TinyModel, FloatPathMatchesNumPyInOnePrefill) {
  DecoderModel model(*find_family(cfg_.arch), cfg_, lookup());
  KVCache cache(cfg_, 16);
  const int64_t T = int64_t(tokens_.size());
  std::vector<float> logits(size_t(T * 32));
  model.forward(tokens_.data(), T, 0, cache, logits.data(), /*all_logits=*/true);
  EXPECT_LT(rel_error(logits, tensors_.at("logits_float")), 1e-5);
}

TEST_F(TinyModel, TernaryPathMatchesNumPyTokenByToken) {
  ModelLoadOptions opt;
  opt.ternary_float_weights = true;
  DecoderModel model(*find_family(cfg_.arch), cfg_, lookup(), opt);
  KVCache cache(cfg_, 16);
  const int64_t T = int64_t(tokens_.size());
  std::vector<float> logits(size_t(T * 32));
  for (int64_t t = 0; t < T; ++t) model.forward(&tokens_[size_t(t)], 1, t, cache, logits.data() + t * 32);
  // Per-token int8 quantization makes the path sensitive to rounding ties
  // only at exact .5 boundaries, which random data does not hit.
  EXPECT_LT(rel_error(logits, tensors_.at("logits_ternary")), 1e-4);
  // And the two paths really differ (activation quantization is visible).
  EXPECT_GT(rel_error(logits, tensors_.at("logits_float")), 1e-4);
}

TEST_F(TinyModel, MissingTensorAndBadTokenAreErrors) {
  tensors_.erase("blk.1.ffn_down.weight");
  try {
    DecoderModel model(*find_family(cfg_.arch), cfg_, lookup());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("blk.1.ffn_down.weight"), std::string::npos) << e.what();
  }
}

TEST_F(TinyModel, RejectsTokensOutsideVocabularyAndFullContext) {
  DecoderModel model(*find_family(cfg_.arch), cfg_, lookup());
  KVCache cache(cfg_, 4);
  std::vector<float> logits(32);
  int32_t bad = 32;
  EXPECT_THROW(model.forward(&bad, 1, 0, cache, logits.data()), Error);
  EXPECT_THROW(model.forward(tokens_.data(), 5, 0, cache, logits.data()), Error);
}

TEST_F(TinyModel, NonTernaryFloatWeightsAreRejectedAsTernary) {
  tensors_.at("blk.0.attn_q.weight").data<float>()[3] = 0.3f;
  ModelLoadOptions opt;
  opt.ternary_float_weights = true;
  EXPECT_THROW(DecoderModel(*find_family(cfg_.arch), cfg_, lookup(), opt), Error);
}

}  // namespace
}  // namespace lowbit
