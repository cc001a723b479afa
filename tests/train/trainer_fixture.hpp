// What the training tests share: a temporary directory with a small text,
// a config builder for tiny models (the decoder or, with arch, another
// family), and the export check (the exported GGUF, run by the inference
// model, against the trainer's own forward on the same window).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/half.hpp"
#include "io/safetensors_file.hpp"
#include "model/gguf_model.hpp"
#include "train/checkpoint.hpp"
#include "train/text_data.hpp"
#include "train/train_config.hpp"
#include "train/trainable_model.hpp"
#include "train/trainer.hpp"

namespace lowbit {

class TrainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("lowbit-trainer-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::string text;
    for (int i = 0; i < 300; ++i) text += fmt::format("line {} of a small text, with words and numbers {}\n", i, i * 7);
    std::ofstream(dir_ / "data.txt") << text;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // model_keys: more keys of the model section, each followed by a comma
  // (e.g. R"("arch": "hgrn-bit", )"); none: the decoder.
  std::string config(const std::string& quant, int64_t steps, const std::string& out, const std::string& export_type,
                     int n_embd = 32, int n_ff = 64, const std::string& model_keys = "") {
    return fmt::format(R"({{
      "data": {{"path": "{}", "split": 0.9}},
      "tokenizer": {{"type": "byte"}},
      "model": {{{}"n_embd": {}, "n_layer": 2, "n_head": 2, "n_head_kv": 1, "n_ff": {}, "context": 32}},
      "quant": {},
      "optim": {{"lr": 3e-3, "warmup": 2, "steps": {}, "stage2_at": 0.5, "stage2_lr": 1e-3}},
      "batch_size": 2, "seq_len": 16, "seed": 7, "eval_every": 2, "eval_batches": 2, "checkpoint_every": 3,
      "out_dir": "{}", "export": {{"path": "{}", "type": "{}"}} }})",
                       (dir_ / "data.txt").string(), model_keys, n_embd, n_ff, quant, steps, (dir_ / out).string(),
                       (dir_ / (out + ".gguf")).string(), export_type);
  }

  // Training 6 steps straight and 4 + (from the step-3 checkpoint, as
  // after a crash) the rest give the same final checkpoint, bit for bit.
  void expect_resume_bit_exact(const std::string& quant, const std::string& model_keys = "") {
    TrainOptions quiet;
    quiet.progress = false;
    const TrainConfig straight = parse_train_config(config(quant, 6, "a", "f32", 32, 64, model_keys), "a");
    train(straight, quiet);
    TrainOptions first = quiet;
    first.max_steps = 4;  // stops after a checkpoint at 3 and writes one at 4
    const TrainConfig split = parse_train_config(config(quant, 6, "b", "f32", 32, 64, model_keys), "b");
    train(split, first);
    std::filesystem::remove(checkpoint_path((dir_ / "b").string(), 4));
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

  std::filesystem::path dir_;
};

// One validation window scored both ways after training cfg_json.
struct ExportCheck {
  double inference_nll = 0;  // the exported GGUF through the inference model
  double trainer_nll = 0;    // the trainer's forward from its last checkpoint
  int64_t n_vocab = 0, T = 0;
  std::vector<float> inference_logits;      // [T, n_vocab]
  std::unique_ptr<TrainableModel> trainer;  // after that forward
};

// f16_embedding: the trainer's embedding rounded to fp16 as the GGUF stores
// it, so that only the two code paths differ.
inline ExportCheck run_export_check(const std::string& cfg_json, bool f16_embedding = false) {
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
  ExportCheck r;
  const int64_t V = m.config.n_vocab, T = cfg.seq_len;
  r.n_vocab = V, r.T = T;
  const std::unique_ptr<SequenceState> state = m.model->new_state(T);
  r.inference_logits.resize(size_t(T * V));
  m.model->forward(in.data(), T, 0, *state, r.inference_logits.data(), true);
  for (int64_t t = 0; t < T; ++t) {
    const float* z = r.inference_logits.data() + t * V;
    double mx = *std::max_element(z, z + V), sum = 0;
    for (int64_t j = 0; j < V; ++j) sum += std::exp(double(z[j]) - mx);
    r.inference_nll += std::log(sum) + mx - z[tgt[size_t(t)]];
  }
  r.inference_nll /= double(T);
  // The trainer's loss on the same window, from its last checkpoint.
  TrainConfig c2 = cfg;
  c2.arch.n_vocab = tok.n_vocab();
  Rng rng(0);
  r.trainer = make_trainable_model(c2, rng);
  AdamWState adam;
  load_checkpoint(latest_checkpoint(cfg.out_dir), *r.trainer, adam);
  if (f16_embedding) {
    for (Param& p : r.trainer->params())
      if (p.name == "token_embd.weight")
        for (float& v : p.value->span<float>()) v = fp16_to_f32(f32_to_fp16(v));
    r.trainer->requantize();
  }
  r.trainer_nll = r.trainer->forward(in.data(), tgt.data(), 1, T);
  return r;
}

// The exported GGUF, run by the inference model, scores a validation window
// as the trainer does (same weights, same quantizers).
inline void expect_export_matches(const std::string& cfg_json, double tol) {
  const ExportCheck r = run_export_check(cfg_json);
  EXPECT_NEAR(r.inference_nll, r.trainer_nll, tol) << cfg_json;
}

// The error parse_train_config gives for `json` (read as "cfg.json"), or
// "no error".
inline std::string config_error(const std::string& json) {
  try {
    parse_train_config(json, "cfg.json");
  } catch (const Error& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

}  // namespace lowbit
