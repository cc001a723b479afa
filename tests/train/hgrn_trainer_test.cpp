// `lowbit train` on an HGRN-Bit config (model.arch hgrn-bit): bit-exact
// resume from a checkpoint, the exported GGUF run by the inference model
// (model/hgrn_model: another code path, packed ternary kernels) giving the
// training forward's logits, and the CLI end to end (train, then generate
// from the export).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "../cli/lowbit_process.hpp"
#include "train/hgrn_train_model.hpp"
#include "trainer_fixture.hpp"

namespace lowbit {
namespace {

const char* kTernary = R"({"type": "bitlinear158"})";
const char* kHgrn = R"("arch": "hgrn-bit", )";
const char* kHgrnUntied = R"("arch": "hgrn-bit", "tied": false, )";

TEST_F(TrainerTest, HgrnResumeIsBitExact) { expect_resume_bit_exact(kTernary, kHgrnUntied); }

// Logits of the export (inference) against the trainer's on one window,
// the trainer's embedding rounded to fp16 as the GGUF stores it: the 99th
// percentile and the largest |difference|, as fractions of the largest
// |logit|, and the two losses.
void expect_hgrn_export_logits(const std::string& cfg_json, double p99_tol, double worst_tol, double nll_tol) {
  const ExportCheck r = run_export_check(cfg_json, true);
  const auto* m = dynamic_cast<const HgrnTrainModel*>(r.trainer.get());
  ASSERT_NE(m, nullptr);
  const float* want = m->logits();
  std::vector<double> diffs;
  double largest = 0;
  for (size_t i = 0; i < r.inference_logits.size(); ++i) {
    diffs.push_back(std::fabs(double(r.inference_logits[i]) - double(want[i])));
    largest = std::max(largest, double(std::fabs(want[i])));
  }
  std::sort(diffs.begin(), diffs.end());
  const double p99 = diffs[diffs.size() * 99 / 100], worst = diffs.back();
  EXPECT_GT(largest, 0.1);  // a trained head, not all zeros
  EXPECT_LT(p99, p99_tol * largest) << "99th percentile |logit difference| of largest " << largest;
  EXPECT_LT(worst, worst_tol * largest) << "largest |logit difference| of largest " << largest;
  EXPECT_NEAR(r.inference_nll, r.trainer_nll, nll_tol);
}

TEST_F(TrainerTest, HgrnExportGivesTheTrainersLogits) {
  // Untied head, widths not multiples of 256 (the ternary values stored as
  // f32): the same numbers through both paths, to f32 rounding.
  expect_hgrn_export_logits(config(kTernary, 4, "u", "tq2_0", 32, 64, kHgrnUntied), 1e-6, 1e-6, 1e-5);
  // A tied head: the file's output.weight is the f32 embedding ternarized,
  // the trainer's head here the fp16-rounded one, so a few head codes may
  // differ (one moved a logit by 13% of the largest at this seed).
  expect_hgrn_export_logits(config(kTernary, 4, "t", "tq2_0", 32, 64, kHgrn), 1e-6, 0.25, 1e-3);
}

TEST_F(TrainerTest, HgrnPackedExportGivesTheTrainersLogits) {
  // Widths of 256: every projection packed as TQ2_0, its scale rounded to
  // fp16, which moves int8 activations across rounding boundaries.
  expect_hgrn_export_logits(config(kTernary, 3, "p", "tq2_0", 256, 256, kHgrn), 1e-2, 0.05, 2e-3);
}

TEST_F(TrainerTest, HgrnCliTrainsAndGenerates) {
  const std::string cfg = (dir_ / "hgrn.json").string();
  std::ofstream(cfg) << config(kTernary, 3, "cli", "tq2_0", 32, 64, kHgrn);
  const lowbit_test::Result t = lowbit_test::run_lowbit(fmt::format("train {} -t 1", cfg));
  ASSERT_EQ(t.status, 0) << t.err;
  EXPECT_NE(t.out.find("steps 3"), std::string::npos) << t.out;
  const std::string gguf = (dir_ / "cli.gguf").string();
  const lowbit_test::Result info = lowbit_test::run_lowbit(fmt::format("info {}", gguf));
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_NE(info.out.find("hgrn-bit"), std::string::npos) << info.out;
  const lowbit_test::Result g =
      lowbit_test::run_lowbit(fmt::format("generate -m {} -p 'line 1' -n 5 -t 1 --temp 0 --ignore-eos", gguf));
  ASSERT_EQ(g.status, 0) << g.err;
  EXPECT_NE(g.err.find("generated 5 tokens"), std::string::npos) << g.err;
}

TEST(TrainConfigParse, HgrnArchAndItsLimits) {
  EXPECT_EQ(config_error(R"({"model": {"arch": "hgrn-bit", "tied": false}})"), "no error");
  EXPECT_NE(config_error(R"({"model": {"arch": "mamba"}})").find("model.arch 'mamba'"), std::string::npos);
  EXPECT_NE(config_error(R"({"model": {"arch": "hgrn-bit"}, "quant": {"type": "float"}})")
                .find("bitlinear158 projections only"),
            std::string::npos);
  EXPECT_NE(config_error(R"({"model": {"arch": "hgrn-bit"}, "quant": {"blend_start": 0.5}})").find("blend_start"),
            std::string::npos);
  EXPECT_NE(config_error(R"({"model": {"tied": false}})").find("hgrn-bit only"), std::string::npos);
}

}  // namespace
}  // namespace lowbit
