#include "server/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/thread_pool.hpp"
#include "core/timer.hpp"
#include "model/sampler.hpp"
#include "model/session.hpp"

namespace lowbit::server {

using Clock = GenerationJob::Clock;

namespace {
double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
}  // namespace

struct Scheduler::Slot {
  Slot(const Model& model, int64_t n_ctx) : state(model.new_state(n_ctx)) {}

  std::unique_ptr<SequenceState> state;
  std::vector<int32_t> tokens;  // what the state holds, in order
  std::shared_ptr<GenerationJob> job;
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<GenerationStep> step;
  std::unique_ptr<grammar::Matcher> matcher;  // the job's grammar, if any
  grammar::TokenFilter filter;
  std::vector<uint8_t> allowed;
  std::vector<float> embedding_out;
  std::string generated;  // raw bytes of the generated tokens (which stop string ended it)
  int id = 0;
  size_t prefill_pos = 0;       // next prompt token to evaluate
  bool decoding = false;        // prompt done; next_token waits to be evaluated
  int32_t next_token = 0;
  int64_t n_prompt_evaluated = 0;
  Clock::time_point started, first_token;
  std::vector<float> logits;
};

Scheduler::Scheduler(Model& model, const Tokenizer& tok, const SchedulerOptions& opt, Metrics& metrics)
    : model_(model), tok_(tok), opt_(opt), metrics_(metrics) {
  LOWBIT_CHECK(opt.n_slots >= 1 && opt.slot_ctx >= 2 && opt.n_batch >= 1, "scheduler: bad options");
  for (int i = 0; i < opt.n_slots; ++i) {
    slots_.push_back(std::make_unique<Slot>(model, opt.slot_ctx));
    slots_.back()->id = i;
    views_.emplace_back().id = i;
  }
  metrics_.total_slots = opt.n_slots;
  thread_ = std::thread([this] { loop(); });
}

Scheduler::~Scheduler() { shutdown(std::chrono::milliseconds(0)); }

bool Scheduler::submit(std::shared_ptr<GenerationJob> job) {
  {
    std::lock_guard lock(mu_);
    // Capacity is the free slots plus the queue, so --queue 0 still admits
    // a request when a slot is free.
    if (stopping_ || int64_t(queue_.size()) + metrics_.busy_slots >= int64_t(opt_.n_slots + opt_.queue_capacity))
      return false;
    job->submitted = Clock::now();
    queue_.push_back(std::move(job));
    metrics_.queue_length = int64_t(queue_.size());
  }
  cv_.notify_all();
  return true;
}

void Scheduler::shutdown(std::chrono::milliseconds grace) {
  std::deque<std::shared_ptr<GenerationJob>> dropped;
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stopping_ = true;
    dropped.swap(queue_);
    metrics_.queue_length = 0;
  }
  cv_.notify_all();
  for (auto& j : dropped) {
    JobOutcome o;
    o.finish_reason = "cancelled";
    o.error = "the server is shutting down";
    j->finish(o);
  }
  // Running jobs get the grace period, then are cancelled.
  const auto deadline = Clock::now() + grace;
  while (!loop_done_ && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  cancel_all_ = true;
  cv_.notify_all();
  thread_.join();
}

void Scheduler::loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      auto has_free = [&] {
        return std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return !s->job; });
      };
      cv_.wait(lock, [&] { return stopping_ || metrics_.busy_slots > 0 || (!queue_.empty() && has_free()); });
      if (stopping_ && metrics_.busy_slots == 0) {
        loop_done_ = true;
        break;
      }
      while (!queue_.empty() && has_free()) {
        auto job = std::move(queue_.front());
        queue_.pop_front();
        metrics_.queue_length = int64_t(queue_.size());
        lock.unlock();
        admit(std::move(job));
        lock.lock();
      }
    }
    for (auto& s : slots_)
      if (s->job && (s->job->cancelled || cancel_all_)) finish(*s, FinishReason::Cancelled);
    for (auto& s : slots_)
      if (s->job && !s->decoding) prefill_step(*s);
    decode_step();
  }
}

void Scheduler::admit(std::shared_ptr<GenerationJob> job) {
  if (job->cancelled) {
    JobOutcome o;
    o.finish_reason = "cancelled";
    job->finish(o);
    return;
  }
  // The free slot whose cached tokens share the longest prefix with the prompt.
  Slot* best = nullptr;
  size_t best_common = 0;
  for (auto& s : slots_) {
    if (s->job) continue;
    const size_t c = reusable_prefix(s->tokens, job->prompt, *s->state);
    if (!best || c > best_common) best = s.get(), best_common = c;
  }
  Slot& s = *best;
  if (job->embedding) {
    s.job = std::move(job);
    ++metrics_.busy_slots;
    run_embedding(s);
    return;
  }
  s.tokens.resize(best_common);
  s.prefill_pos = best_common;
  s.n_prompt_evaluated = int64_t(job->prompt.size() - best_common);
  s.decoding = false;
  s.sampler = std::make_unique<Sampler>(job->sampling);
  const int64_t room = opt_.slot_ctx - int64_t(job->prompt.size());
  s.step = std::make_unique<GenerationStep>(tok_, job->stop, std::min<int64_t>(job->max_tokens, room));
  s.matcher.reset();
  if (job->grammar) {
    if (!vocab_) vocab_ = std::make_unique<grammar::TokenVocabulary>(tok_);
    s.matcher = std::make_unique<grammar::Matcher>(job->grammar);  // checked by the HTTP thread: cannot throw
  }
  s.generated.clear();
  s.started = Clock::now();
  s.job = std::move(job);
  ++metrics_.busy_slots;
  update_view(s);
}

void Scheduler::run_embedding(Slot& s) {
  s.started = Clock::now();
  const auto& prompt = s.job->prompt;
  const int64_t d = model_.config().n_embd;
  // The whole prompt is run again: every token's state is needed for the
  // mean, and the slot's cached tokens are overwritten.
  s.tokens.clear();
  std::vector<double> sum(size_t(d), 0.0);
  std::vector<float> hidden;
  try {
    for (size_t pos = 0; pos < prompt.size();) {
      const size_t n = std::min(prompt.size() - pos, size_t(opt_.n_batch));
      hidden.resize(n * size_t(d));
      model_.forward_hidden(prompt.data() + pos, int64_t(n), int64_t(pos), *s.state, hidden.data());
      const size_t first = opt_.pooling == Pooling::Last ? n - 1 : 0;
      if (opt_.pooling == Pooling::Last) std::fill(sum.begin(), sum.end(), 0.0);
      for (size_t t = first; t < n; ++t)
        for (int64_t j = 0; j < d; ++j) sum[size_t(j)] += hidden[t * size_t(d) + size_t(j)];
      pos += n;
    }
  } catch (const std::exception& e) {
    finish(s, FinishReason::Error, e.what());
    return;
  }
  // Mean (or last), then unit length, as llama-server normalizes embeddings.
  const double count = opt_.pooling == Pooling::Last ? 1.0 : double(prompt.size());
  double norm = 0;
  for (double& v : sum) v /= count, norm += v * v;
  norm = std::sqrt(norm);
  std::vector<float> out(static_cast<size_t>(d));
  for (int64_t j = 0; j < d; ++j) out[size_t(j)] = float(norm > 0 ? sum[size_t(j)] / norm : 0.0);
  s.n_prompt_evaluated = int64_t(prompt.size());
  s.embedding_out = std::move(out);
  finish(s, FinishReason::Stop);
}

int32_t Scheduler::sample(Slot& s, std::span<float> logits) {
  constexpr float kNever = -std::numeric_limits<float>::infinity();
  if (s.job->ignore_eos)
    for (int32_t id : {tok_.eos_id(), tok_.eot_id()})
      if (id >= 0 && size_t(id) < logits.size()) logits[size_t(id)] = kNever;
  if (s.matcher) {
    s.filter.allowed(*s.matcher, *vocab_, s.allowed);
    if (s.job->ignore_eos)
      for (int32_t id : {tok_.eos_id(), tok_.eot_id()})
        if (id >= 0 && size_t(id) < s.allowed.size()) s.allowed[size_t(id)] = 0;
    bool any = false;
    for (size_t id = 0; id < logits.size(); ++id) {
      if (id >= s.allowed.size() || !s.allowed[id]) logits[id] = kNever;
      else any = true;
    }
    if (!any) return -1;
  }
  return s.sampler->sample(logits, s.tokens);
}

std::vector<Scheduler::SlotView> Scheduler::slot_views() const {
  std::lock_guard lock(view_mu_);
  return views_;
}

void Scheduler::update_view(const Slot& s) {
  SlotView v;
  v.id = s.id;
  if (s.job) {
    v.processing = true;
    v.n_prompt = int64_t(s.job->prompt.size());
    v.n_decoded = s.step ? s.step->n_generated() : 0;
    v.n_remain = s.step ? s.step->limit() - v.n_decoded : 0;
    v.sampling = s.job->sampling;
    v.stop = s.job->stop;
    v.has_grammar = s.job->grammar != nullptr;
  }
  std::lock_guard lock(view_mu_);
  views_[size_t(s.id)] = std::move(v);
}

void Scheduler::prefill_step(Slot& s) {
  const auto& prompt = s.job->prompt;
  const size_t n = std::min(prompt.size() - s.prefill_pos, size_t(opt_.n_batch));
  s.logits.resize(size_t(model_.config().n_vocab));
  try {
    Timer t;
    model_.forward(prompt.data() + s.prefill_pos, int64_t(n), int64_t(s.tokens.size()), *s.state, s.logits.data());
    metrics_.observe_step(0, t.seconds());
  } catch (const std::exception& e) {
    finish(s, FinishReason::Error, e.what());
    return;
  }
  s.tokens.insert(s.tokens.end(), prompt.begin() + int64_t(s.prefill_pos), prompt.begin() + int64_t(s.prefill_pos + n));
  s.prefill_pos += n;
  if (s.prefill_pos < prompt.size()) return;
  s.first_token = Clock::now();
  if (s.step->limit() <= 0) {
    finish(s, FinishReason::Length);
    return;
  }
  int32_t id = -1;
  std::string error = "grammar: no token of the vocabulary can continue the output";
  try {
    id = sample(s, s.logits);
  } catch (const std::exception& e) {  // a grammar past its limits
    error = e.what();
  }
  if (id < 0) finish(s, FinishReason::Error, error);
  else accept_token(s, id);
}

void Scheduler::decode_step() {
  std::vector<Slot*> rows;
  for (auto& s : slots_)
    if (s->job && s->decoding) rows.push_back(s.get());
  if (rows.empty()) return;
  const int64_t n = int64_t(rows.size()), V = model_.config().n_vocab;
  std::vector<int32_t> tokens(rows.size());
  std::vector<int64_t> positions(rows.size());
  std::vector<SequenceState*> states(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    tokens[i] = rows[i]->next_token;
    positions[i] = int64_t(rows[i]->tokens.size());
    states[i] = rows[i]->state.get();
  }
  std::vector<float>& logits = batch_logits_;
  logits.resize(size_t(n * V));
  try {
    Timer t;
    model_.forward_batch(tokens.data(), positions.data(), states.data(), n, logits.data());
    metrics_.observe_step(n, t.seconds());
  } catch (const std::exception& e) {
    for (Slot* s : rows) finish(*s, FinishReason::Error, e.what());
    return;
  }
  for (size_t i = 0; i < rows.size(); ++i) rows[i]->tokens.push_back(tokens[i]);
  // Sampling scans the whole vocabulary per row: rows in parallel.
  std::vector<int32_t> ids(rows.size(), -1);
  ThreadPool::global().parallel_for(n, 1, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      Slot& s = *rows[size_t(i)];
      try {
        ids[size_t(i)] = sample(s, std::span<float>(logits.data() + i * V, size_t(V)));
      } catch (const std::exception&) {
        // left at -1: reported below, on this thread
      }
    }
  });
  for (size_t i = 0; i < rows.size(); ++i) {
    if (ids[i] < 0)
      finish(*rows[i], FinishReason::Error,
             rows[i]->matcher ? "grammar: no token of the vocabulary can continue the output" : "sampling failed");
    else accept_token(*rows[i], ids[i]);
  }
}

void Scheduler::accept_token(Slot& s, int32_t id) {
  if (s.step->n_generated() == 0) s.first_token = Clock::now();
  const bool eog = tok_.is_eog(id);
  if (!eog) {
    s.generated += tok_.token_bytes(id);
    std::string error;
    try {
      if (s.matcher && !s.matcher->accept(tok_.token_bytes(id)))
        error = "grammar: the sampled token does not continue the output";
    } catch (const std::exception& e) {  // a grammar past its limits
      error = e.what();
    }
    if (!error.empty()) {
      finish(s, FinishReason::Error, error);
      return;
    }
  }
  const GenerationStep::Result r = s.step->accept(id);
  s.job->append(r.text);
  if (r.finish != FinishReason::None) {
    finish(s, r.finish, {}, r.finish == FinishReason::Stop && !eog ? "word" : "");
    return;
  }
  // A complete parse that nothing can follow: the end, as if EOG came.
  if (s.matcher && s.matcher->is_complete() && !s.matcher->can_continue()) {
    s.job->append(s.step->flush());
    finish(s, FinishReason::Stop);
    return;
  }
  update_view(s);
  s.next_token = id;
  s.decoding = true;
}

void Scheduler::finish(Slot& s, FinishReason reason, const std::string& error, const std::string& stop_type) {
  const auto now = Clock::now();
  const int64_t n_generated = s.step ? s.step->n_generated() : 0;
  JobOutcome o;
  o.finish_reason = std::string(finish_reason_name(reason));
  o.error = error;
  o.slot = s.id;
  o.stop_type = !stop_type.empty()               ? stop_type
                : reason == FinishReason::Stop   ? "eos"
                : reason == FinishReason::Length ? "limit"
                                                 : "none";
  if (o.stop_type == "word") {
    // The stop string found first in the raw output ended it.
    size_t best = std::string::npos;
    for (const std::string& w : s.job->stop)
      if (const size_t p = s.generated.find(w); p < best) best = p, o.stopping_word = w;
  }
  o.embedding = std::move(s.embedding_out);
  s.embedding_out.clear();
  o.n_prompt = int64_t(s.job->prompt.size());
  o.n_prompt_evaluated = s.n_prompt_evaluated;
  o.n_generated = n_generated;
  o.queue_seconds = seconds_between(s.job->submitted, s.started);
  o.first_token_seconds = n_generated > 0 ? seconds_between(s.job->submitted, s.first_token) : 0;
  o.total_seconds = seconds_between(s.job->submitted, now);
  if (reason != FinishReason::Cancelled && reason != FinishReason::Error)
    metrics_.observe_job(o.queue_seconds, o.first_token_seconds, o.total_seconds, o.n_prompt, o.n_generated);
  // A failed evaluation may have left the state half-written.
  if (reason == FinishReason::Error) s.tokens.clear();
  // The slot is free before the client hears the job is done, so /metrics
  // never shows a finished request as busy.
  --metrics_.busy_slots;
  std::shared_ptr<GenerationJob> job = std::move(s.job);
  s.decoding = false;
  s.step.reset();
  s.matcher.reset();
  update_view(s);
  job->finish(std::move(o));
}

}  // namespace lowbit::server
