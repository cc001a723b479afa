// The training loop of `lowbit train`: tokenizer, data, model, AdamW with
// the configured schedules, evaluation, a progress line, the loss curve
// (CSV and SVG), checkpoints (resumed automatically), and the GGUF export.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "train/train_config.hpp"

namespace lowbit {

struct TrainOptions {
  bool resume = true;            // continue from the newest checkpoint in out_dir
  int64_t max_steps = -1;        // stop after this step (tests, smoke runs); -1: the config's
  bool progress = true;          // the progress line on stderr
  // The progress line redrawn with '\r' (a terminal); else a plain line per evaluation.
  bool progress_in_place = true;
  const std::atomic<bool>* stop = nullptr;  // set (by SIGINT/SIGTERM): checkpoint and return
};

struct TrainSummary {
  int64_t step = 0;              // steps done
  double train_loss = 0;         // last step's loss
  double val_loss = 0;           // final evaluation, nats per token
  double val_bits_per_byte = 0;  // the same per byte of text (comparable across tokenizers)
  double seconds = 0;
  double tokens_per_second = 0;
  int64_t n_params = 0;
  bool interrupted = false;
  // The run had reached its last step: nothing was trained, evaluated or written.
  bool already_done = false;
};

TrainSummary train(const TrainConfig& cfg, const TrainOptions& opt = {});

}  // namespace lowbit
