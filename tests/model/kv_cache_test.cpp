// The cached attention of the inference model against the reference
// attention layer (nn/attention), in one prefill and token by token.
#include <gtest/gtest.h>

#include <vector>

#include "../common/golden.hpp"
#include "model/kv_cache.hpp"
#include "nn/cached_attention.hpp"
#include "nn/attention.hpp"

namespace lowbit {
namespace {

Tensor copy_of(const Tensor& t) {
  Tensor c(t.dtype(), t.shape());
  std::copy(t.span<float>().begin(), t.span<float>().end(), c.span<float>().begin());
  return c;
}

class KVCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AttentionOptions o;
    o.n_embd = 16, o.n_head = 4, o.n_head_kv = 2, o.head_dim = 4;
    auto g = [](const char* n) { return copy_of(test::load_golden(n)); };
    attn_ = make_attention(o, LinearType::Float, {}, g("attention_wq.npy"), g("attention_wk.npy"),
                           g("attention_wv.npy"), g("attention_wo.npy"));
    Tensor x = test::load_golden("attention_x.npy");
    std::vector<float> y(80);
    attn_->forward(x.data<float>(), 5, y.data(), saved_);
    cfg_.n_vocab = 10, cfg_.n_embd = 16, cfg_.n_layer = 2, cfg_.n_head = 4, cfg_.n_head_kv = 2, cfg_.head_dim = 4,
    cfg_.n_ff = 32;
    cfg_.validate();
  }
  void fill(KVCache& cache, int64_t layer) {
    for (int64_t t = 0; t < 5; ++t) {
      std::copy(saved_.k.data<float>() + t * 8, saved_.k.data<float>() + (t + 1) * 8, cache.k(layer, t));
      std::copy(saved_.v.data<float>() + t * 8, saved_.v.data<float>() + (t + 1) * 8, cache.v(layer, t));
    }
  }
  std::unique_ptr<BitAttention> attn_;
  BitAttention::Saved saved_;
  ModelConfig cfg_;
  AttentionShape shape_{4, 2, 4};
};

TEST_F(KVCacheTest, PrefillMatchesReferenceAttention) {
  KVCache cache(cfg_, 8);
  fill(cache, 1);
  std::vector<float> out(5 * 16);
  attend_cached(shape_, cache.k(1, 0), cache.v(1, 0), saved_.q.data<float>(), 5, 0, out.data());
  for (int i = 0; i < 80; ++i) EXPECT_NEAR(out[size_t(i)], saved_.ctx.data<float>()[i], 1e-5f) << i;
}

TEST_F(KVCacheTest, TokenByTokenMatchesPrefill) {
  KVCache cache(cfg_, 5);
  fill(cache, 0);
  for (int64_t t = 0; t < 5; ++t) {
    std::vector<float> out(16);
    attend_cached(shape_, cache.k(0, 0), cache.v(0, 0), saved_.q.data<float>() + t * 16, 1, t, out.data());
    for (int i = 0; i < 16; ++i) EXPECT_NEAR(out[size_t(i)], saved_.ctx.data<float>()[t * 16 + i], 1e-5f);
  }
}

TEST_F(KVCacheTest, SizeIsLayersTimesContextTimesKvDim) {
  KVCache cache(cfg_, 8);
  EXPECT_EQ(cache.bytes(), size_t(2 * 2 * 8 * 8 * 4));  // K and V, 2 layers, 8 positions, kv_dim 8, f32
  EXPECT_THROW(KVCache(cfg_, 0), Error);
}

}  // namespace
}  // namespace lowbit
