// One conversation with a model: its KV cache, the tokens in it, and the
// generation loop (prefill in chunks through the GEMM path, decode token by
// token through the GEMV path, sample, detokenize as a stream, stop on
// end-of-generation tokens or stop strings). A new prompt that extends the
// tokens already in the cache reuses them (chat turns, server requests that
// share a prefix).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/bitnet_model.hpp"
#include "model/kv_cache.hpp"
#include "model/sampler.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

struct GenerateOptions {
  int n_predict = 128;            // < 0: until the context is full
  SamplerParams sampling;
  std::vector<std::string> stop;  // stop strings (not included in the output)
  bool add_bos = true;
  bool parse_special = true;      // special tokens written in the prompt are tokens
  int n_batch = 256;              // prefill chunk
};

struct GenerateResult {
  std::string text;              // the generated text (without the prompt)
  int64_t n_prompt = 0;          // prompt tokens
  int64_t n_prompt_evaluated = 0;  // of those, run through the model (the rest were cached)
  int64_t n_generated = 0;
  double prefill_seconds = 0, decode_seconds = 0;
  std::string finish_reason;     // "stop" (EOS/EOT/stop string), "length", "cancelled"
};

// Receives each piece of text as soon as it is final; return false to stop.
using TextSink = std::function<bool(std::string_view)>;

class Session {
 public:
  Session(BitNetModel& model, const Tokenizer& tok, int64_t n_ctx);

  GenerateResult generate(std::string_view prompt, const GenerateOptions& opt, const TextSink& sink = nullptr);
  GenerateResult generate_tokens(std::vector<int32_t> prompt, const GenerateOptions& opt,
                                 const TextSink& sink = nullptr);

  // Runs tokens through the model after the ones in the cache; returns the
  // logits of the last one.
  const std::vector<float>& eval(const std::vector<int32_t>& tokens, int n_batch = 256);

  void reset() { tokens_.clear(); }
  int64_t n_ctx() const { return cache_.n_ctx(); }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  const Tokenizer& tokenizer() const { return tok_; }
  BitNetModel& model() { return model_; }

 private:
  BitNetModel& model_;
  const Tokenizer& tok_;
  KVCache cache_;
  std::vector<int32_t> tokens_;  // what the cache holds, in order
  std::vector<float> logits_;
};

// Splits `pending` into what can be printed now and what must wait because
// it may be the start of a stop string. Returns the position of a complete
// stop string, or npos. (Exposed for tests.)
size_t stop_string_split(std::string_view pending, const std::vector<std::string>& stop, size_t& printable);

}  // namespace lowbit
