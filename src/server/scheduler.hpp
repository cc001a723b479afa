// Continuous batching. One thread owns the model and N slots (each with its
// own sequence state, sampler and GenerationStep). Every step it admits
// queued jobs into free slots, runs one prefill chunk for slots still reading
// their prompt, then one batched decode step (Model::forward_batch) for all
// slots that are generating, so the streams share one pass over the weights.
// A slot keeps its tokens after a job ends, and a new job whose prompt shares
// a prefix with them reuses that part of the state.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "grammar/token_filter.hpp"
#include "model/generation_step.hpp"
#include "model/model.hpp"
#include "server/generation_job.hpp"
#include "server/metrics.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit::server {

// How /v1/embeddings pools the hidden states of a prompt's tokens.
enum class Pooling { Mean, Last };

struct SchedulerOptions {
  int n_slots = 4;
  Pooling pooling = Pooling::Mean;
  int64_t slot_ctx = 2048;  // tokens per slot's KV cache
  size_t queue_capacity = 64;
  int n_batch = 256;        // prefill chunk: a long prompt delays other streams by at most one chunk
};

class Scheduler {
 public:
  Scheduler(Model& model, const Tokenizer& tok, const SchedulerOptions& opt, Metrics& metrics);
  ~Scheduler();

  // False when the queue is full (the job is not taken).
  bool submit(std::shared_ptr<GenerationJob> job);
  // Refuses new jobs; cancels queued ones; lets running ones finish for up
  // to `grace`, then cancels them; returns when the thread has stopped.
  // Callable from any thread, once or more.
  void shutdown(std::chrono::milliseconds grace);

  int64_t slot_ctx() const { return opt_.slot_ctx; }
  int n_slots() const { return opt_.n_slots; }

  // What /slots shows of each slot (a snapshot; safe from any thread).
  struct SlotView {
    int id = 0;
    bool processing = false;
    int64_t n_prompt = 0, n_decoded = 0, n_remain = 0;
    SamplerParams sampling;
    std::vector<std::string> stop;
    bool has_grammar = false;
  };
  std::vector<SlotView> slot_views() const;

 private:
  struct Slot;
  void loop();
  void admit(std::shared_ptr<GenerationJob> job);
  void prefill_step(Slot& s);
  void decode_step();
  void run_embedding(Slot& s);
  // Masks the logits (ignore_eos, grammar) and draws the next token; -1
  // when the grammar leaves nothing to sample.
  int32_t sample(Slot& s, std::span<float> logits);
  void update_view(const Slot& s);
  // Handles a token sampled for slot s; may finish the job.
  void accept_token(Slot& s, int32_t id);
  // stop_type: llama-server's word for the reason when the reason alone does not say it ("word").
  void finish(Slot& s, FinishReason reason, const std::string& error = {}, const std::string& stop_type = {});

  Model& model_;
  const Tokenizer& tok_;
  SchedulerOptions opt_;
  Metrics& metrics_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<float> batch_logits_;
  std::unique_ptr<grammar::TokenVocabulary> vocab_;  // made for the first grammar request
  mutable std::mutex view_mu_;
  std::vector<SlotView> views_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<GenerationJob>> queue_;
  bool stopping_ = false;
  std::atomic<bool> loop_done_{false}, cancel_all_{false};
  std::thread thread_;
};

}  // namespace lowbit::server
