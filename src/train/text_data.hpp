// Training data: a text file tokenized once, split into a training and a
// validation part by position, and batches of windows drawn from them.
// Every window starts with BOS followed by T-1 tokens of text from a random
// offset, so generation from BOS alone produces text.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

struct TextData {
  std::vector<int32_t> train, val;
  int64_t train_bytes = 0, val_bytes = 0;  // for bits per byte
  int32_t bos = -1;
};

TextData split_text(const std::string& text, const Tokenizer& tok, double split);

// inputs/targets [B * T]: window b is [BOS, t_o, ..., t_{o+T-2}] and its
// targets [t_o, ..., t_{o+T-1}] for a random offset o drawn from rng.
void sample_batch(const std::vector<int32_t>& tokens, int32_t bos, int64_t B, int64_t T, Rng& rng,
                  std::vector<int32_t>& inputs, std::vector<int32_t>& targets);

// The same with evenly spaced offsets (validation: the same windows every time).
void fixed_batch(const std::vector<int32_t>& tokens, int32_t bos, int64_t B, int64_t T, int64_t index, int64_t n_batches,
                 std::vector<int32_t>& inputs, std::vector<int32_t>& targets);

}  // namespace lowbit
