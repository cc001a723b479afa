// Detokenizing one token at a time for streamed output: a token may end in
// the middle of a UTF-8 character (byte-level BPE splits emoji and CJK across
// tokens), so the incomplete tail is held back until the next token completes
// it. Bytes that can never become valid UTF-8 are passed through at once.
#pragma once

#include <string>

#include "tokenizer/tokenizer.hpp"

namespace lowbit {

class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tok, bool skip_special = false) : tok_(&tok), skip_special_(skip_special) {}

  // The text that is ready to print after `id`: possibly empty.
  std::string push(TokenId id);
  // Whatever is still held back (an incomplete character at the end of the
  // stream), as is; the decoder is then empty and can be reused.
  std::string finish();

 private:
  const Tokenizer* tok_;
  bool skip_special_;
  std::string pending_;
};

}  // namespace lowbit
