// One admitted generation request as the scheduler sees it, and the channel
// back to the HTTP thread that waits for it: the scheduler appends text and
// finally marks it done; the HTTP thread takes whatever text is new, and
// sets `cancelled` when its client goes away, which frees the slot at the
// next scheduler step.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grammar/matcher.hpp"
#include "model/sampler.hpp"

namespace lowbit::server {

struct JobOutcome {
  std::string finish_reason;  // "stop", "length", "cancelled", "error"
  std::string error;          // when finish_reason == "error"
  std::string stop_type;      // llama-server's words: "eos", "word", "limit", "none"
  std::string stopping_word;  // the stop string that ended it (stop_type "word")
  int slot = -1;              // the slot that ran it
  std::vector<float> embedding;  // an embedding job's result
  int64_t n_prompt = 0, n_prompt_evaluated = 0, n_generated = 0;
  double queue_seconds = 0, first_token_seconds = 0, total_seconds = 0;
};

class GenerationJob {
 public:
  using Clock = std::chrono::steady_clock;

  // What to run (set before submitting, then read-only).
  std::vector<int32_t> prompt;
  int max_tokens = 16;
  SamplerParams sampling;
  std::vector<std::string> stop;
  bool ignore_eos = false;  // end-of-generation tokens are never sampled
  // Constrained output: only tokens that continue a parse are sampled, and
  // the generation ends when the parse is complete and nothing can follow.
  std::shared_ptr<const grammar::CompiledGrammar> grammar;
  // An embedding instead of a generation: the prompt's pooled hidden state.
  bool embedding = false;
  Clock::time_point submitted = Clock::now();

  std::atomic<bool> cancelled{false};

  // Scheduler side.
  void append(std::string_view text) {
    if (text.empty()) return;
    {
      std::lock_guard lock(mu_);
      text_ += text;
    }
    cv_.notify_all();
  }
  void finish(JobOutcome outcome) {
    {
      std::lock_guard lock(mu_);
      outcome_ = std::move(outcome);
      done_ = true;
    }
    cv_.notify_all();
  }

  // HTTP side: waits up to `timeout` for news; moves new text into `text`.
  // Returns true once the job is done and all its text has been taken.
  bool wait(std::string& text, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return done_ || !text_.empty(); });
    text += text_;
    text_.clear();
    return done_;
  }
  JobOutcome outcome() const {
    std::lock_guard lock(mu_);
    return outcome_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  bool done_ = false;
  JobOutcome outcome_;
};

}  // namespace lowbit::server
