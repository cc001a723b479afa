// A random 2-layer BitNet b1.58 written as GGUF by our writer (ternary
// projections as TQ2_0, TQ1_0 and I2_S), loaded back and run, against the
// independent NumPy forward pass tests/reference/bitnet_ref.py run on the
// same weights.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "core/rng.hpp"
#include "io/gguf_writer.hpp"
#include "io/npy.hpp"
#include "model/gguf_model.hpp"
#include "model/kv_cache.hpp"

namespace lowbit {
namespace {

namespace fs = std::filesystem;

struct Dims {
  int64_t V, D = 256, L = 2, NH = 4, NKV = 2, HD = 64, FF = 512;
};

class GgufModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("lowbit-gguf-model-{}", ::getpid());
    fs::create_directories(dir_);
    vocab_ = Tokenizer::byte_level().to_gguf();
    d_.V = int64_t(vocab_.tokens.size());
    Rng rng(99);
    auto add = [&](const std::string& name, Shape s, float ternary_scale) {
      Tensor t = Tensor::f32(s);
      for (float& v : t.span<float>()) {
        if (ternary_scale > 0) {
          const uint64_t r = rng.next_u64() % 3;
          v = (float(r) - 1.0f) * ternary_scale;
        } else {
          v = float(rng.normal()) * (s.rank == 1 ? 0.25f : 0.5f) + (s.rank == 1 ? 1.0f : 0.0f);
        }
      }
      w_.emplace(name, std::move(t));
    };
    add("token_embd.weight", {d_.V, d_.D}, 0);
    add("output_norm.weight", {d_.D}, 0);
    const int64_t qd = d_.NH * d_.HD, kvd = d_.NKV * d_.HD;
    for (int64_t l = 0; l < d_.L; ++l) {
      const std::string p = fmt::format("blk.{}.", l);
      add(p + "attn_norm.weight", {d_.D}, 0);
      add(p + "ffn_norm.weight", {d_.D}, 0);
      add(p + "attn_sub_norm.weight", {qd}, 0);
      add(p + "ffn_sub_norm.weight", {d_.FF}, 0);
      // Scales exact in fp16, as the ternary formats store them.
      add(p + "attn_q.weight", {qd, d_.D}, 0.125f);
      add(p + "attn_k.weight", {kvd, d_.D}, 0.125f);
      add(p + "attn_v.weight", {kvd, d_.D}, 0.0625f);
      add(p + "attn_output.weight", {d_.D, qd}, 0.03125f);
      add(p + "ffn_gate.weight", {d_.FF, d_.D}, 0.0625f);
      add(p + "ffn_up.weight", {d_.FF, d_.D}, 0.0625f);
      add(p + "ffn_down.weight", {d_.D, d_.FF}, 0.015625f);
    }
    for (auto& [name, t] : w_) npy_save((dir_ / (name + ".npy")).string(), t);
    std::ofstream(dir_ / "config.json") << fmt::format(
        R"({{"V": {}, "D": {}, "L": {}, "NH": {}, "NKV": {}, "HD": {}, "FF": {}, "theta": 500000.0, "eps": 1e-5, "tokens": [{}]}})",
        d_.V, d_.D, d_.L, d_.NH, d_.NKV, d_.HD, d_.FF, fmt::join(tokens_, ", "));
    const std::string cmd = fmt::format("/usr/bin/python3 {}/tests/reference/bitnet_ref.py --dir {}", LOWBIT_SOURCE_DIR,
                                        dir_.string());
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    want_ternary_ = npy_load((dir_ / "logits_ternary.npy").string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes the model with projections in `format`; returns the path.
  std::string write_gguf(Format format) {
    GgufWriter w;
    ModelConfig c;
    c.arch = "bitnet-b1.58";
    c.n_vocab = d_.V, c.n_embd = d_.D, c.n_layer = d_.L, c.n_head = d_.NH, c.n_head_kv = d_.NKV, c.head_dim = d_.HD;
    c.n_ff = d_.FF, c.rope_theta = 500000.0f, c.rms_eps = 1e-5f;
    config_to_gguf(c, w.metadata());
    vocab_to_gguf(vocab_, w.metadata());
    bytes_.clear();
    for (auto& [name, t] : w_) {
      const bool proj = t.shape().rank == 2 && name != "token_embd.weight";
      const FormatTraits& f = format_traits(proj ? format : Format::F32);
      auto& buf = bytes_.emplace_back(size_t(format_bytes(f, t.numel())));
      f.from_float(t.data<float>(), buf.data(), t.numel());
      w.add_tensor(name, f, t.shape(), std::span<const std::byte>(buf.data(), buf.size()));
    }
    std::string path = (dir_ / fmt::format("model-{}.gguf", format_traits(format).name)).string();
    w.write(path);
    return path;
  }

  double max_rel_error(const std::vector<float>& got, const Tensor& want) {
    double err = 0, scale = 0;
    for (int64_t i = 0; i < want.numel(); ++i) {
      err = std::max(err, double(std::fabs(got[size_t(i)] - want.data<float>()[i])));
      scale = std::max(scale, double(std::fabs(want.data<float>()[i])));
    }
    return err / scale;
  }

  fs::path dir_;
  Dims d_;
  GgufVocab vocab_;
  std::map<std::string, Tensor> w_;
  std::vector<std::vector<std::byte>> bytes_;
  std::vector<int32_t> tokens_{72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100};
  Tensor want_ternary_;
};

TEST_F(GgufModelTest, TernaryFormatsMatchNumPy) {
  for (Format f : {Format::TQ2_0, Format::TQ1_0, Format::I2_S}) {
    LoadedModel lm = load_gguf_model(write_gguf(f));
    EXPECT_EQ(lm.config.n_layer, 2);
    EXPECT_EQ(lm.config.ffn_act, FfnAct::Relu2);
    EXPECT_EQ(lm.tokenizer->n_vocab(), d_.V);
    const int64_t T = int64_t(tokens_.size());
    KVCache cache(lm.config, 32);
    std::vector<float> logits(size_t(T * d_.V));
    // Prefill the first half, then decode token by token.
    lm.model->forward(tokens_.data(), T / 2, 0, cache, logits.data(), true);
    for (int64_t t = T / 2; t < T; ++t) lm.model->forward(&tokens_[size_t(t)], 1, t, cache, logits.data() + t * d_.V);
    const double err = max_rel_error(logits, want_ternary_);
    EXPECT_LT(err, 1e-4) << format_traits(f).name;
    RecordProperty(std::string("max_rel_error_") + std::string(format_traits(f).name), fmt::format("{:.3g}", err));
  }
}

// A byte-level BPE vocabulary has no merges, but llama.cpp's loader
// requires the key of every "gpt2" vocabulary ("cannot find tokenizer
// merges in model file": random-model files below 128,256 tokens were
// refused): it is written as an empty array, and lowbit reads it back as
// the same byte-level tokenizer.
TEST_F(GgufModelTest, ByteLevelVocabularyHasAnEmptyMergesArray) {
  ASSERT_EQ(vocab_.model, "gpt2");
  ASSERT_TRUE(vocab_.merges.empty());
  GgufMetadata m;
  vocab_to_gguf(vocab_, m);
  const GgufStrings* merges = m.find_strings("tokenizer.ggml.merges");
  ASSERT_NE(merges, nullptr);
  EXPECT_EQ(merges->size(), 0u);
  const Tokenizer back = Tokenizer::from_gguf(vocab_from_gguf(m));
  EXPECT_EQ(size_t(back.n_vocab()), vocab_.tokens.size());
  EXPECT_EQ(back.encode("hi there!"), Tokenizer::byte_level().encode("hi there!"));
}

TEST_F(GgufModelTest, TruncatedFileIsAnErrorNamingTheFile) {
  const std::string path = write_gguf(Format::TQ2_0);
  fs::resize_file(path, fs::file_size(path) - 1000);
  try {
    load_gguf_model(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lowbit
