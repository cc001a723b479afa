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
#include "train/checkpoint.hpp"
#include "train/schedule.hpp"
#include "train/text_data.hpp"
#include "train/trainer.hpp"
#include "trainer_fixture.hpp"

namespace lowbit {
namespace {

namespace fs = std::filesystem;

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
  EXPECT_NE(config_error(R"({"optim": {"lr": 1e-3, "lrr": 2}})").find("unknown key 'lrr'"), std::string::npos);
  EXPECT_NE(config_error(R"({"batch_size": "big"})").find("'batch_size' has the wrong type"), std::string::npos);
  EXPECT_NE(config_error(R"({"quant": {"type": "ternaryish"}})").find("unknown layer type"), std::string::npos);
  EXPECT_NE(config_error(R"({"quant": {"overrides": [{"projs": ["attn_x"]}]}})").find("unknown projection 'attn_x'"),
            std::string::npos);
  EXPECT_NE(config_error("{not json").find("cfg.json: invalid JSON"), std::string::npos);
  const TrainConfig c = parse_train_config(R"({"quant": {"type": "bitlinear158", "overrides": [
      {"projs": ["attn_output", "ffn_down"], "type": "hbitlinear", "act_bits": 4}]}})", "cfg.json");
  const TrainModelSpec s = c.model_spec();
  EXPECT_EQ(s.proj[1][kO].type, LinearType::HBitLinear);
  EXPECT_EQ(s.proj[1][kO].opt.act_bits, 4);
  EXPECT_EQ(s.proj[1][kQ].type, LinearType::BitLinear158);
}

TEST_F(TrainerTest, ResumeIsBitExact) { expect_resume_bit_exact(R"({"type": "bitlinear158"})"); }

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
    expect_export_matches(config(q, 4, "e", "f32"), tol);
  }
}

TEST_F(TrainerTest, PackedTernaryExportRunsLikeTheTrainer) {
  // n_embd and n_ff multiples of 256 so the projections pack as TQ2_0; the
  // packed scale is the f32 scale rounded to fp16, hence the looser bound.
  expect_export_matches(config(R"({"type": "bitlinear158"})", 3, "p", "tq2_0", 256, 256), 2e-3);
}

}  // namespace
}  // namespace lowbit
