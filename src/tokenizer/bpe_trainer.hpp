// Training byte-level BPE merges from text (issue 6: a small vocabulary for a
// small model). The text is cut with the same pre-tokenizer the tokenizer
// uses, so merges never cross a piece; then, repeatedly, the most frequent
// adjacent pair is merged into a new token.
//
// Deterministic: ties on frequency go to the pair with the smaller
// (left id, right id), where byte tokens have id = byte value and merged
// tokens are numbered 256, 257, ... in the order they were made.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/gguf_vocab.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

struct BpeTrainOptions {
  int32_t vocab_size = 1024;  // in all: 256 bytes + merged tokens + specials
  std::vector<std::string> specials = small_special_tokens();  // appended last
  int64_t min_frequency = 2;  // a pair seen fewer times is never merged
  std::string pre = "llama-bpe";
};

// The trained tokenizer as GGUF vectors (write them with the GGUF writer, or
// Tokenizer::from_gguf(...).to_hf_json() for a tokenizer.json). The vocabulary
// can come out smaller than asked when no pair is frequent enough.
GgufVocab train_bpe(std::string_view text, const BpeTrainOptions& opt);

}  // namespace lowbit
