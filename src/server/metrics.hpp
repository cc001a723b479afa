// Server counters for GET /metrics, in Prometheus' text format: requests by
// endpoint and status, tokens, queue length and busy slots, tokens/s, and
// request latency as histograms (time in queue, to first token, total).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace lowbit::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // Appends the _bucket/_sum/_count lines of `name`.
  void render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  mutable std::mutex mu_;
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; last = +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();

  void count_request(const std::string& endpoint, int status);
  void observe_job(double queue_s, double first_token_s, double total_s, int64_t n_prompt, int64_t n_generated);
  // One model call of the scheduler: a decode step that produced `tokens`
  // tokens, or a prefill chunk (tokens = 0), taking `seconds`.
  void observe_step(int64_t tokens, double seconds);

  std::atomic<int64_t> queue_length{0}, busy_slots{0}, total_slots{0}, rejected{0};

  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  uint64_t prompt_tokens_ = 0, generated_tokens_ = 0;
  double step_tokens_per_s_ = 0;  // exponential moving average over decode steps
  double busy_seconds_ = 0;
  Histogram queue_, first_token_, total_;
};

}  // namespace lowbit::server
