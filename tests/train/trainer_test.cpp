// The training loop end to end on a tiny model: schedules by hand, config
// errors, bit-exact resume from a checkpoint, and the GGUF export run by
// the inference model giving the trainer's own loss for each layer type.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "io/safetensors_file.hpp"
#include "model/gguf_model.hpp"
#include "model/kv_cache.hpp"
#include "train/checkpoint.hpp"
#include "train/schedule.hpp"
#include "train/text_data.hpp"
#include "train/trainer.hpp"

namespace lowbit {
namespace {

namespace fs = std::filesystem;

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("lowbit-trainer-{}-{}", ::getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string text;
    for (int i = 0; i < 300; ++i) text += fmt::format("line {} of a small text, with words and numbers {}\n", i, i * 7);
    std::ofstream(dir_ / "data.txt") << text;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string config(const std::string& quant, int64_t steps, const std::string& out, const std::string& export_type,
                     int n_embd = 32, int n_ff = 64) {
    return fmt::format(R"({{
      "data": {{"path": "{}", "split": 0.9}},
      "tokenizer": {{"type": "byte"}},
      "model": {{"n_embd": {}, "n_layer": 2, "n_head": 2, "n_head_kv": 1, "n_ff": {}, "context": 32}},
      "quant": {},
      "optim": {{"lr": 3e-3, "warmup": 2, "steps": {}, "stage2_at": 0.5, "stage2_lr": 1e-3}},
      "batch_size": 2, "seq_len": 16, "seed": 7, "eval_every": 2, "eval_batches": 2, "checkpoint_every": 3,
      "out_dir": "{}", "export": {{"path": "{}", "type": "{}"}} }})",
                       (dir_ / "data.txt").string(), n_embd, n_ff, quant, steps, (dir_ / out).string(),
                       (dir_ / (out + ".gguf")).string(), export_type);
  }

  fs::path dir_;
};

TEST(Schedule, HandComputed) {
  TrainConfig c;
  c.lr = 1e-3f, c.min_lr = 1e-4f, c.warmup = 10, c.steps = 120, c.two_stage = true, c.stage2_at = 0.5,
  c.stage2_lr = 4e-4f, c.weight_decay = 0.1f;
  EXPECT_FLOAT_EQ(schedule_lr(c, 0), 1e-4f);   // 1/10 of the way up
  EXPECT_FLOAT_EQ(schedule_lr(c, 9), 1e-3f);
  EXPECT_FLOAT_EQ(schedule_lr(c, 10), 1e-3f);  // cosine starts at lr
  EXPECT_NEAR(schedule_lr(c, 35), 7e-4f, 1e-9);  // cosine half way from 10 to 60: (1e-3 + 4e-4) / 2
  EXPECT_FLOAT_EQ(schedule_lr(c, 60), 4e-4f);    // stage 2 starts at 0.5 * 120 = 60
  EXPECT_NEAR(schedule_lr(c, 90), 2.5e-4f, 1e-9);  // linear half way from 4e-4 to 1e-4
  EXPECT_FLOAT_EQ(schedule_weight_decay(c, 59), 0.1f);
  EXPECT_FLOAT_EQ(schedule_weight_decay(c, 60), 0.0f);
  c.blend_start = 0.2f, c.blend_steps = 10;
  EXPECT_FLOAT_EQ(schedule_blend(c, 0), 0.2f);
  EXPECT_FLOAT_EQ(schedule_blend(c, 5), 0.6f);
  EXPECT_FLOAT_EQ(schedule_blend(c, 10), 1.0f);
  c.act_bits_schedule = {{20, 8}, {50, 4}};
  EXPECT_EQ(schedule_act_bits(c, 19), 0);
  EXPECT_EQ(schedule_act_bits(c, 20), 8);
  EXPECT_EQ(schedule_act_bits(c, 77), 4);
}

TEST(TrainConfigParse, ErrorsNameTheKey) {
  auto msg = [](const std::string& json) {
    try {
      parse_train_config(json, "cfg.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg(R"({"optim": {"lr": 1e-3, "lrr": 2}})").find("unknown key 'lrr'"), std::string::npos);
  EXPECT_NE(msg(R"({"batch_size": "big"})").find("'batch_size' has the wrong type"), std::string::npos);
  EXPECT_NE(msg(R"({"quant": {"type": "ternaryish"}})").find("unknown layer type"), std::string::npos);
  EXPECT_NE(msg(R"({"quant": {"overrides": [{"projs": ["attn_x"]}]}})").find("unknown projection 'attn_x'"),
            std::string::npos);
  EXPECT_NE(msg("{not json").find("cfg.json: invalid JSON"), std::string::npos);
  const TrainConfig c = parse_train_config(R"({"quant": {"type": "bitlinear158", "overrides": [
      {"projs": ["attn_output", "ffn_down"], "type": "hbitlinear", "act_bits": 4}]}})", "cfg.json");
  const TrainModelSpec s = c.model_spec();
  EXPECT_EQ(s.proj[1][kO].type, LinearType::HBitLinear);
  EXPECT_EQ(s.proj[1][kO].opt.act_bits, 4);
  EXPECT_EQ(s.proj[1][kQ].type, LinearType::BitLinear158);
}

TEST_F(TrainerTest, ResumeIsBitExact) {
  TrainOptions quiet;
  quiet.progress = false;
  const TrainConfig straight = parse_train_config(config(R"({"type": "bitlinear158"})", 6, "a", "f32"), "a");
  train(straight, quiet);
  TrainOptions first = quiet;
  first.max_steps = 4;  // stops after a checkpoint at 3 and writes one at 4
  const TrainConfig split = parse_train_config(config(R"({"type": "bitlinear158"})", 6, "b", "f32"), "b");
  train(split, first);
  fs::remove(checkpoint_path((dir_ / "b").string(), 4));  // resume from step 3, as after a crash
  EXPECT_EQ(read_checkpoint_meta(latest_checkpoint((dir_ / "b").string())).step, 3);
  train(split, quiet);
  const SafetensorsFile a = SafetensorsFile::open(checkpoint_path((dir_ / "a").string(), 6));
  const SafetensorsFile b = SafetensorsFile::open(checkpoint_path((dir_ / "b").string(), 6));
  ASSERT_EQ(a.tensors().size(), b.tensors().size());
  for (const SafetensorsTensor& t : a.tensors()) {
    const auto x = a.data(t), y = b.data(b.tensor(t.name));
    ASSERT_EQ(x.size(), y.size());
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size()), 0) << t.name;
  }
}

// The exported GGUF, run by the inference model, scores a validation window
// as the trainer does (same weights, same quantizers).
void expect_export_matches(const fs::path& dir, const std::string& cfg_json, double tol) {
  TrainOptions quiet;
  quiet.progress = false;
  const TrainConfig cfg = parse_train_config(cfg_json, "cfg");
  train(cfg, quiet);
  LoadedModel m = load_gguf_model(cfg.export_path);
  const Tokenizer& tok = *m.tokenizer;
  std::ifstream f(cfg.data_path);
  const std::string text((std::istreambuf_iterator<char>(f)), {});
  const TextData data = split_text(text, tok, cfg.split);
  std::vector<int32_t> in, tgt;
  fixed_batch(data.val, data.bos, 1, cfg.seq_len, 0, 1, in, tgt);
  KVCache cache(m.config, cfg.seq_len);
  const int64_t V = m.config.n_vocab, T = cfg.seq_len;
  std::vector<float> logits(size_t(T * V));
  m.model->forward(in.data(), T, 0, cache, logits.data(), true);
  double nll = 0;
  for (int64_t t = 0; t < T; ++t) {
    const float* z = logits.data() + t * V;
    double mx = *std::max_element(z, z + V), sum = 0;
    for (int64_t j = 0; j < V; ++j) sum += std::exp(double(z[j]) - mx);
    nll += std::log(sum) + mx - z[tgt[size_t(t)]];
  }
  nll /= double(T);
  // The trainer's loss on the same window, from its last checkpoint.
  TrainConfig c2 = cfg;
  c2.arch.n_vocab = tok.n_vocab();
  Rng rng(0);
  TrainModel model(c2.model_spec(), rng);
  AdamWState adam;
  load_checkpoint(latest_checkpoint(cfg.out_dir), model, adam);
  const double want = model.forward(in.data(), tgt.data(), 1, T, false);
  EXPECT_NEAR(nll, want, tol) << cfg_json;
}

TEST_F(TrainerTest, ExportRunsLikeTheTrainerForEveryLayerType) {
  // Float agrees to f32 rounding. The quantized types agree to a few 1e-4
  // nats: inference and training sum attention in different orders, and a
  // 1-ulp difference can move an activation across a rounding boundary.
  const std::pair<const char*, double> cases[] = {
      {R"({"type": "float"})", 1e-4},
      {R"({"type": "bitlinear158"})", 1e-3},
      {R"({"type": "bitlinear", "bits": 8})", 1e-3},
      {R"({"type": "bitlinear158", "overrides": [{"projs": ["attn_output", "ffn_down"], "type": "hbitlinear",
          "act_bits": 4}]})", 1e-3}};
  for (auto [q, tol] : cases) {
    SCOPED_TRACE(q);
    fs::remove_all(dir_ / "e");
    expect_export_matches(dir_, config(q, 4, "e", "f32"), tol);
  }
}

TEST_F(TrainerTest, PackedTernaryExportRunsLikeTheTrainer) {
  // n_embd and n_ff multiples of 256 so the projections pack as TQ2_0; the
  // packed scale is the f32 scale rounded to fp16, hence the looser bound.
  expect_export_matches(dir_, config(R"({"type": "bitlinear158"})", 3, "p", "tq2_0", 256, 256), 2e-3);
}

}  // namespace
}  // namespace lowbit
