// Training checkpoints in safetensors: every parameter (F32, under its GGUF
// name), the AdamW moments ("adam.m.<name>", "adam.v.<name>"), and in the
// metadata the step, the data sampler's RNG state, the config and the
// tokenizer, so `lowbit train` resumes bit-exactly. Written atomically
// (temp file + rename) as <out_dir>/checkpoint-<step>.safetensors.
#pragma once

#include <cstdint>
#include <string>

#include "core/rng.hpp"
#include "train/adamw.hpp"
#include "train/trainable_model.hpp"

namespace lowbit {

struct CheckpointMeta {
  int64_t step = 0;
  Rng data_rng;
  std::string config_json;
  std::string tokenizer_json;
};

std::string checkpoint_path(const std::string& out_dir, int64_t step);
// The checkpoint with the highest step in out_dir, or "" if there is none.
std::string latest_checkpoint(const std::string& out_dir);

void save_checkpoint(const std::string& path, TrainableModel& model, const AdamWState& adam,
                     const CheckpointMeta& meta);
// Reads the metadata only (to rebuild the tokenizer and model first).
CheckpointMeta read_checkpoint_meta(const std::string& path);
// Restores parameters and moments; shapes must match the model's.
void load_checkpoint(const std::string& path, TrainableModel& model, AdamWState& adam);

// Keeps the newest `keep` checkpoints in out_dir, deletes older ones.
void prune_checkpoints(const std::string& out_dir, int keep);

}  // namespace lowbit
