// Everything a training run is, read from one JSON file (every field has a
// default; unknown keys are errors so typos do not silently do nothing).
// docs/TRAINING.md documents each field.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/train_model.hpp"

namespace lowbit {

struct ProjOverride {
  std::vector<int64_t> layers;     // empty: every layer
  std::vector<std::string> projs;  // GGUF names: attn_q, ..., ffn_down; empty: all seven
  ProjSpec spec;
};

struct ActBitsEvent {  // progressive quantization: from `step` on, activations use `act_bits` (S3) / `bits` (S1)
  int64_t step = 0;
  int act_bits = 8;
};

struct TrainConfig {
  // data
  std::string data_path = "data/tinyshakespeare.txt";
  double split = 0.9;  // first 90% of the tokens train, the rest validate
  // tokenizer
  std::string tokenizer = "bpe";  // "bpe" (trained on the training text) or "byte"
  int32_t vocab_size = 1024;
  // model
  ModelConfig arch;
  ProjSpec proj_default;
  std::vector<ProjOverride> overrides;
  // progressive quantization
  float blend_start = 1.0f;     // forward = blend * quantized + (1 - blend) * float ...
  int64_t blend_steps = 0;      // ... with blend rising linearly to 1 over these steps
  std::vector<ActBitsEvent> act_bits_schedule;
  // optimizer and schedule
  float lr = 1.5e-3f, min_lr = 1e-4f;
  int64_t warmup = 100, steps = 2000;
  float weight_decay = 0.1f, beta1 = 0.9f, beta2 = 0.95f, adam_eps = 1e-8f, grad_clip = 1.0f;
  bool two_stage = true;        // BitNet b1.58: cooldown at `stage2_at` with lr `stage2_lr`, weight decay 0 after
  double stage2_at = 0.5;
  float stage2_lr = 5e-4f;
  // batches
  int64_t batch_size = 16, seq_len = 128;
  uint64_t seed = 1234;
  // evaluation, checkpoints, output
  int64_t eval_every = 100, eval_batches = 16;
  int64_t checkpoint_every = 250;
  std::string out_dir = "runs/default";
  std::string export_path;      // GGUF written at the end (empty: none)
  std::string export_type = "tq2_0";

  std::string json_text;        // the file's contents, stored in checkpoints

  // The projection spec of (layer, p) after overrides.
  TrainModelSpec model_spec() const;
};

TrainConfig parse_train_config(const std::string& json_text, const std::string& source);
TrainConfig load_train_config(const std::string& path);

}  // namespace lowbit
