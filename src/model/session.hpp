// One conversation with a model: its sequence state, the tokens in it, and
// the generation loop (prefill in chunks through the GEMM path, decode token
// by token through the GEMV path, sample, then the shared GenerationStep:
// streaming text, stop strings, limits). A new prompt that extends the
// tokens already in the state reuses them (chat turns, server requests that
// share a prefix) as far as the state allows.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/generation_step.hpp"
#include "model/model.hpp"
#include "model/sampler.hpp"
#include "tokenizer/chat_template.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

struct GenerateOptions {
  int n_predict = 128;            // < 0: until the context is full
  SamplerParams sampling;
  std::vector<std::string> stop;  // stop strings (not included in the output)
  bool add_bos = true;
  bool parse_special = true;      // special tokens written in the prompt are tokens
  int n_batch = 256;              // prefill chunk
  bool ignore_eos = false;        // end-of-generation tokens are never sampled (llama.cpp's --ignore-eos)
};

struct GenerateResult {
  std::string text;              // the generated text (without the prompt)
  int64_t n_prompt = 0;          // prompt tokens
  int64_t n_prompt_evaluated = 0;  // of those, run through the model (the rest were cached)
  int64_t n_generated = 0;
  double prefill_seconds = 0, decode_seconds = 0;
  FinishReason finish_reason = FinishReason::None;
  // Length because the context had no more room (not n_predict).
  bool context_full = false;
  // The stop string that ended it, if one did.
  std::string stop_string;
};

// Receives each piece of text as soon as it is final; return false to stop.
using TextSink = std::function<bool(std::string_view)>;

class Session {
 public:
  Session(Model& model, const Tokenizer& tok, int64_t n_ctx);

  GenerateResult generate(std::string_view prompt, const GenerateOptions& opt, const TextSink& sink = nullptr);
  GenerateResult generate_tokens(std::vector<int32_t> prompt, const GenerateOptions& opt,
                                 const TextSink& sink = nullptr);

  // Runs tokens through the model after the ones in the state; returns the
  // logits of the last one.
  const std::vector<float>& eval(const std::vector<int32_t>& tokens, int n_batch = 256);

  void reset() { tokens_.clear(); }
  int64_t n_ctx() const { return state_->n_ctx(); }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const Tokenizer& tokenizer() const { return tok_; }
  Model& model() { return model_; }

 private:
  Model& model_;
  const Tokenizer& tok_;
  std::unique_ptr<SequenceState> state_;
  std::vector<int32_t> tokens_;  // what the state holds, in order
  std::vector<float> logits_;
};

// Makes a conversation fit a context: drops its oldest turns (the messages
// after the system message, oldest first, a user message with the replies
// that follow it) until its prompt leaves `reserve` tokens of room in n_ctx.
// The last message always stays. Returns how many messages were dropped;
// throws lowbit::Error when the system message and the last message alone
// do not leave that room.
size_t fit_chat_to_context(std::vector<ChatMessage>& messages, ChatTemplate tmpl, const Tokenizer& tok, int64_t n_ctx,
                           int64_t reserve);

// How many of `cached` tokens a new `prompt` can keep: their common prefix,
// as far as `state` can keep it, and at least one prompt token left to run
// (for fresh logits).
size_t reusable_prefix(const std::vector<int32_t>& cached, const std::vector<int32_t>& prompt,
                       const SequenceState& state);

}  // namespace lowbit
