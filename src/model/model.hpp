// The interface every model family implements, and the per-sequence state
// it runs over. Callers (Session, the server's scheduler, `bench`,
// `perplexity`, the Python binding) hold a Model and the states it makes,
// never a concrete family: a transformer keeps a KV cache, a recurrent
// model (the matmul-free family) a fixed-size state, behind the same calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "model/config.hpp"

namespace lowbit {

class ModelFamily;

// What one sequence has seen so far: a KV cache, a recurrent state, ...
// Made by Model::new_state and only usable with the model that made it.
class SequenceState {
 public:
  virtual ~SequenceState() = default;
  // The most tokens this state can hold.
  virtual int64_t n_ctx() const = 0;
  // Bytes of memory it holds.
  virtual size_t bytes() const = 0;
  // How many of the first `n` tokens already in the state can be kept when
  // a new sequence shares them as a prefix (a KV cache keeps any prefix; a
  // recurrent state only one it has a snapshot of). 0 <= result <= n.
  virtual int64_t reusable_prefix(int64_t n) const { return n; }
};

class Model {
 public:
  virtual ~Model() = default;

  virtual const ModelConfig& config() const = 0;
  virtual const ModelFamily& family() const = 0;

  // A fresh state for a sequence of up to n_ctx tokens.
  virtual std::unique_ptr<SequenceState> new_state(int64_t n_ctx) const = 0;

  // Runs tokens [T] at positions pos0 .. pos0+T-1 of the sequence whose
  // state is `state` (which holds positions 0 .. pos0-1). Writes the logits
  // of the last token to logits [n_vocab], or of every token to logits
  // [T, n_vocab] when all_logits is set.
  virtual void forward(const int32_t* tokens, int64_t T, int64_t pos0, SequenceState& state, float* logits,
                       bool all_logits = false) = 0;

  // One decode step for n independent sequences: row i is token tokens[i]
  // at position positions[i] of the sequence whose state is states[i]
  // (distinct states). Writes logits [n, n_vocab]; row i equals
  // forward(&tokens[i], 1, positions[i], *states[i], ...).
  virtual void forward_batch(const int32_t* tokens, const int64_t* positions, SequenceState* const* states, int64_t n,
                             float* logits) = 0;

  // Runs tokens as forward() does but writes, instead of logits, the hidden
  // state of every token after the final norm (the output head's input):
  // hidden [T, n_embd]. For embeddings (the server's /v1/embeddings). A
  // family without such a state keeps this default, which refuses.
  virtual void forward_hidden(const int32_t* /*tokens*/, int64_t /*T*/, int64_t /*pos0*/, SequenceState& /*state*/,
                              float* /*hidden*/) {
    fail("this model family has no hidden-state output (embeddings)");
  }

  // Weight bytes read for one decoded token (the bandwidth bound's numerator).
  virtual size_t bytes_per_token() const = 0;
  // A multi-line description: family, shapes and the kind of each matrix.
  virtual std::string summary() const = 0;
};

}  // namespace lowbit
