// A tokenizer as GGUF stores it (the tokenizer.* metadata keys), in plain
// lists so the GGUF reader and writer can fill and read it without knowing
// the tokenizer, and `lowbit convert` can write it. The strings are
// StringLists: a LLaMA-3 vocabulary is 408k of them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/string_list.hpp"

namespace lowbit {

// llama.cpp's token types (tokenizer.ggml.token_type).
enum class TokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

struct GgufVocab {
  std::string model = "gpt2";            // tokenizer.ggml.model: "gpt2" (byte-level BPE) or
                                         //   "llama" (SentencePiece BPE with byte fallback)
  std::string pre = "llama-bpe";         // tokenizer.ggml.pre: the pre-tokenizer regex; empty
                                         //   (absent) reads as llama-bpe, since the official
                                         //   BitNet b1.58 2B4T GGUF lacks the key
  StringList tokens;                     // tokenizer.ggml.tokens: GPT-2 byte-to-unicode form
                                         //   ("gpt2") or SentencePiece pieces with U+2581 for
                                         //   spaces and <0xXX> byte tokens ("llama");
                                         //   control/user-defined tokens as their text
  StringList merges;                     // tokenizer.ggml.merges: "left right", in priority order
                                         //   ("gpt2" only)
  std::vector<float> scores;             // tokenizer.ggml.scores: one per token ("llama": the
                                         //   merge priority, higher first); empty for "gpt2"
  std::vector<int32_t> token_type;       // tokenizer.ggml.token_type (TokenType values)
  int32_t bos_id = -1;                   // tokenizer.ggml.bos_token_id (-1: absent)
  int32_t eos_id = -1;                   // tokenizer.ggml.eos_token_id
  int32_t eot_id = -1;                   // tokenizer.ggml.eot_token_id
  int32_t pad_id = -1;                   // tokenizer.ggml.padding_token_id
  int32_t unk_id = -1;                   // tokenizer.ggml.unknown_token_id
  bool add_bos = true;                   // tokenizer.ggml.add_bos_token
  bool add_eos = false;                  // tokenizer.ggml.add_eos_token
  bool add_space_prefix = true;          // tokenizer.ggml.add_space_prefix ("llama": a space is
                                         //   put before the text, as SentencePiece's dummy prefix)
  std::string chat_template;             // tokenizer.chat_template (Jinja text; may be empty)
};

}  // namespace lowbit
