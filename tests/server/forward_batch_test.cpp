// Model::forward_batch (one decode step for several sequences, the
// projections as one GEMM) against the independent path: forward() called
// once per sequence on its own copy of the cache.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "core/rng.hpp"
#include "model/decoder_model.hpp"

namespace lowbit {
namespace {

// A small model held in memory: random f32 tensors, projections ternary x
// 0.05 so that the W1.58 path (ternary_float_weights) can run them too.
class InMemoryModel {
 public:
  explicit InMemoryModel(const ModelConfig& c) : cfg_(c) {
    Rng rng(7);
    const int64_t d = c.n_embd, qd = c.q_dim(), kvd = c.kv_dim(), ff = c.n_ff;
    auto add = [&](const std::string& name, int64_t rows, int64_t cols, int kind) {
      std::vector<float>& v = data_[name];
      v.resize(size_t(rows * cols));
      for (float& x : v)
        x = kind == 0 ? 1.0f + 0.1f * rng.normal() : kind == 1 ? 0.5f * rng.normal() : 0.05f * float(int(rng.below(3)) - 1);
      shape_[name] = {rows, cols};
    };
    add("token_embd.weight", c.n_vocab, d, 1);
    add("output_norm.weight", 1, d, 0);
    for (int64_t l = 0; l < c.n_layer; ++l) {
      const std::string p = fmt::format("blk.{}.", l);
      add(p + "attn_norm.weight", 1, d, 0);
      add(p + "ffn_norm.weight", 1, d, 0);
      add(p + "attn_sub_norm.weight", 1, qd, 0);
      add(p + "ffn_sub_norm.weight", 1, ff, 0);
      add(p + "attn_q.weight", qd, d, 2);
      add(p + "attn_k.weight", kvd, d, 2);
      add(p + "attn_v.weight", kvd, d, 2);
      add(p + "attn_output.weight", d, qd, 2);
      add(p + "ffn_gate.weight", ff, d, 2);
      add(p + "ffn_up.weight", ff, d, 2);
      add(p + "ffn_down.weight", d, ff, 2);
    }
  }

  TensorLookup lookup() const {
    return [this](std::string_view name) -> std::optional<TensorRef> {
      auto it = data_.find(std::string(name));
      if (it == data_.end()) return std::nullopt;
      TensorRef r;
      r.name = std::string(name);
      r.format = &format_traits(Format::F32);
      r.data = it->second.data();
      r.rows = shape_.at(it->first).first;
      r.cols = shape_.at(it->first).second;
      return r;
    };
  }
  const ModelConfig& config() const { return cfg_; }
  const std::vector<float>& tensor(const std::string& name) const { return data_.at(name); }

 private:
  ModelConfig cfg_;
  std::map<std::string, std::vector<float>> data_;
  std::map<std::string, std::pair<int64_t, int64_t>> shape_;
};

ModelConfig small_config() {
  ModelConfig c;
  c.arch = "bitnet-b1.58";
  c.n_vocab = 64, c.n_embd = 64, c.n_layer = 2, c.n_head = 4, c.n_head_kv = 2, c.head_dim = 16, c.n_ff = 96;
  c.n_ctx_train = 64, c.tied_output = true;
  return c;
}

double max_rel_diff(const float* a, const float* b, int64_t n) {
  double err = 0, scale = 1e-12;
  for (int64_t i = 0; i < n; ++i) {
    err = std::max(err, double(std::fabs(a[i] - b[i])));
    scale = std::max(scale, double(std::fabs(b[i])));
  }
  return err / scale;
}

// Three sequences with different prompt lengths, then several decode steps:
// batched on one set of caches, one by one on another.
void check_batch_matches_single(bool ternary) {
  const InMemoryModel mem(small_config());
  ModelLoadOptions opt;
  opt.ternary_float_weights = ternary;
  DecoderModel model(*find_family(mem.config().arch), mem.config(), mem.lookup(), opt);
  const int64_t V = mem.config().n_vocab, n = 3, ctx = 32;
  std::vector<std::vector<int32_t>> prompts = {{1, 5, 9}, {2}, {3, 4, 6, 8, 10, 12, 14}};
  std::vector<KVCache> batch_caches, single_caches;
  std::vector<int64_t> pos(n);
  std::vector<int32_t> next(n);
  std::vector<float> logits(static_cast<size_t>(V), 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    batch_caches.emplace_back(mem.config(), ctx);
    single_caches.emplace_back(mem.config(), ctx);
    const auto& p = prompts[size_t(i)];
    model.forward(p.data(), int64_t(p.size()), 0, batch_caches.back(), logits.data());
    model.forward(p.data(), int64_t(p.size()), 0, single_caches.back(), logits.data());
    pos[size_t(i)] = int64_t(p.size());
    next[size_t(i)] = int32_t(20 + i);
  }
  std::vector<SequenceState*> cache_ptrs;
  cache_ptrs.reserve(batch_caches.size());
  for (auto& c : batch_caches) cache_ptrs.push_back(&c);

  std::vector<float> batch_logits(size_t(n * V));
  for (int step = 0; step < 4; ++step) {
    model.forward_batch(next.data(), pos.data(), cache_ptrs.data(), n, batch_logits.data());
    for (int64_t i = 0; i < n; ++i) {
      model.forward(&next[size_t(i)], 1, pos[size_t(i)], single_caches[size_t(i)], logits.data());
      EXPECT_LT(max_rel_diff(batch_logits.data() + i * V, logits.data(), V), 1e-5)
          << "step " << step << " row " << i;
      // The K/V written for the new token must match too.
      EXPECT_LT(max_rel_diff(batch_caches[size_t(i)].k(1, pos[size_t(i)]),
                             single_caches[size_t(i)].k(1, pos[size_t(i)]), mem.config().kv_dim()),
                1e-5);
      // Rows really are different sequences: their logits differ.
      if (i > 0) {
        EXPECT_GT(max_rel_diff(batch_logits.data() + i * V, batch_logits.data(), V), 1e-3);
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      ++pos[size_t(i)];
      next[size_t(i)] = int32_t((next[size_t(i)] * 7 + 3) % V);
    }
  }
}

TEST(ForwardBatch, FloatProjectionsMatchOneSequenceAtATime) { check_batch_matches_single(false); }

TEST(ForwardBatch, TernaryProjectionsMatchOneSequenceAtATime) { check_batch_matches_single(true); }

TEST(ForwardBatch, SingleRowEqualsForward) {
  const InMemoryModel mem(small_config());
  DecoderModel model(*find_family(mem.config().arch), mem.config(), mem.lookup());
  KVCache a(mem.config(), 8), b(mem.config(), 8);
  const int32_t tok = 11;
  const int64_t pos = 0;
  SequenceState* pa = &a;
  std::vector<float> la(64), lb(64);
  model.forward_batch(&tok, &pos, &pa, 1, la.data());
  model.forward(&tok, 1, 0, b, lb.data());
  EXPECT_LT(max_rel_diff(la.data(), lb.data(), 64), 1e-6);
}

TEST(ForwardBatch, RejectsFullContextAndBadTokens) {
  const InMemoryModel mem(small_config());
  DecoderModel model(*find_family(mem.config().arch), mem.config(), mem.lookup());
  KVCache a(mem.config(), 4);
  SequenceState* pa = &a;
  std::vector<float> logits(64);
  int32_t tok = 1;
  int64_t pos = 4;
  EXPECT_THROW(model.forward_batch(&tok, &pos, &pa, 1, logits.data()), Error);
  pos = 0, tok = 64;
  EXPECT_THROW(model.forward_batch(&tok, &pos, &pa, 1, logits.data()), Error);
}

// forward_hidden (the embeddings' source): the final-norm states times the
// tied embedding matrix, computed here, are forward()'s logits for every
// token (the head may hold the matrix in f16: 1e-2 relative).
TEST(ForwardHidden, TimesTheTiedEmbeddingGivesEveryTokensLogits) {
  const InMemoryModel mem(small_config());
  DecoderModel model(*find_family(mem.config().arch), mem.config(), mem.lookup());
  const int64_t V = mem.config().n_vocab, d = mem.config().n_embd;
  const std::vector<int32_t> tokens = {3, 17, 42, 5, 9};
  const int64_t T = int64_t(tokens.size());
  KVCache a(mem.config(), 16), b(mem.config(), 16);
  std::vector<float> hidden(size_t(T * d)), logits(size_t(T * V));
  model.forward_hidden(tokens.data(), T, 0, a, hidden.data());
  model.forward(tokens.data(), T, 0, b, logits.data(), /*all_logits=*/true);
  const std::vector<float>& embd = mem.tensor("token_embd.weight");
  for (int64_t t = 0; t < T; ++t) {
    std::vector<float> ref(static_cast<size_t>(V));
    for (int64_t v = 0; v < V; ++v) {
      double acc = 0;
      for (int64_t j = 0; j < d; ++j) acc += double(hidden[size_t(t * d + j)]) * embd[size_t(v * d + j)];
      ref[size_t(v)] = float(acc);
    }
    EXPECT_LT(max_rel_diff(logits.data() + t * V, ref.data(), V), 1e-2) << "token " << t;
  }
  // The state it leaves is forward()'s: the next token's logits agree.
  const int32_t next = 7;
  std::vector<float> la(static_cast<size_t>(V)), lb(static_cast<size_t>(V));
  model.forward(&next, 1, T, a, la.data());
  model.forward(&next, 1, T, b, lb.data());
  EXPECT_LT(max_rel_diff(la.data(), lb.data(), V), 1e-6);
}

}  // namespace
}  // namespace lowbit
