// What happens to each sampled token of a generation, shared by Session
// (CLI, Python) and the server's scheduler: end-of-generation tokens stop
// it, the streaming detokenizer turns tokens into text that is final (no
// half UTF-8 characters), text that may be the start of a stop string is
// held back until it cannot be, a complete stop string ends the generation
// (and is not output), and the token limit or an end-of-generation token
// ends it with the held-back text flushed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/stream_decoder.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

enum class FinishReason {
  None,       // still generating
  Stop,       // an end-of-generation token or a stop string
  Length,     // the token limit or the end of the context
  Cancelled,  // the caller stopped it (a sink returned false, a client went away)
  Error,
};
// "stop", "length", "cancelled", "error" (the OpenAI API's words); "" for None.
std::string_view finish_reason_name(FinishReason r);

class GenerationStep {
 public:
  // limit: the most tokens to generate (>= 0).
  GenerationStep(const Tokenizer& tok, std::vector<std::string> stop, int64_t limit);

  struct Result {
    std::string text;  // final text to output now (may be empty)
    FinishReason finish = FinishReason::None;
  };
  // Handles the next sampled token. After a result with finish != None the
  // generation is over; the token was not counted if it ended it by EOG.
  Result accept(int32_t id);

  // Ends a generation that stops for a reason of the caller's (a grammar
  // that is complete): returns the text held back for a stop string that
  // can no longer come, and any bytes of an unfinished UTF-8 character.
  // (accept() does this itself at the limit and at end-of-generation.)
  std::string flush();

  int64_t n_generated() const { return n_generated_; }
  int64_t limit() const { return limit_; }
  // The stop string that ended the generation; empty if none did.
  const std::string& stop_found() const { return stop_found_; }

 private:
  const Tokenizer& tok_;
  std::vector<std::string> stop_;
  int64_t limit_;
  int64_t n_generated_ = 0;
  StreamDecoder decoder_;
  std::string pending_;  // text held back: it may begin a stop string
  std::string stop_found_;
};

// Splits `pending` into what can be printed now and what must wait because
// it may be the start of a stop string. Returns the position of a complete
// stop string, or npos. (Exposed for tests.)
size_t stop_string_split(std::string_view pending, const std::vector<std::string>& stop, size_t& printable);

}  // namespace lowbit
