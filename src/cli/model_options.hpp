// The options every model-running command shares (-m, -t, -c, --int8, the
// sampling flags) and opening the model they name. -m defaults to the
// bundled model. Flag names are llama.cpp's where the feature is the same.
#pragma once

#include <string>

#include "cli/command.hpp"
#include "model/gguf_model.hpp"
#include "model/sampler.hpp"

namespace lowbit::cli {

struct ModelOptions {
  std::string model;  // empty: the bundled default
  int threads = 0;
  int n_ctx = 0;  // 0: the model's training context
  bool int8 = false;
  float int8_threshold = 6.0f;
  std::string head_type;  // --head-type: empty = the file's
  int exact_greedy = 0;   // --exact-greedy K: re-scored candidates (0 = off)
};

void add_model_options(CLI::App& sub, ModelOptions& o);
// Sampling flags, penalties and --seed (-1 or absent: a random seed).
void add_sampling_options(CLI::App& sub, SamplerParams& p);

// models/<default> next to the working directory, else in the source tree.
std::string default_model_path();

// Applies -t, loads the model and reports what was loaded on stderr.
LoadedModel open_model(const ModelOptions& o);
// -c, or the model's context when absent; more than the model's context is
// an error (its positions were never trained).
int64_t context_length(const ModelOptions& o, const LoadedModel& m);
// The sampling settings on stderr under --verbose (the seed above all, so a
// random run can be repeated).
void log_sampling(const SamplerParams& p);

}  // namespace lowbit::cli
