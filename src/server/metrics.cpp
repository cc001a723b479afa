#include "server/metrics.hpp"

#include <fmt/format.h>

namespace lowbit::server {

namespace {
const std::vector<double> kLatencyBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}

void Histogram::observe(double v) {
  std::lock_guard lock(mu_);
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += v;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& help) const {
  std::lock_guard lock(mu_);
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  uint64_t cum = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cum += counts_[i];
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i], cum);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, count_, name, sum_, name, count_);
}

Metrics::Metrics() : queue_(kLatencyBounds), first_token_(kLatencyBounds), total_(kLatencyBounds) {}

void Metrics::count_request(const std::string& endpoint, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, status}];
}

void Metrics::observe_job(double queue_s, double first_token_s, double total_s, int64_t n_prompt,
                          int64_t n_generated) {
  queue_.observe(queue_s);
  if (n_generated > 0) first_token_.observe(first_token_s);
  total_.observe(total_s);
  std::lock_guard lock(mu_);
  prompt_tokens_ += uint64_t(n_prompt);
  generated_tokens_ += uint64_t(n_generated);
}

void Metrics::observe_step(int64_t tokens, double seconds) {
  if (seconds <= 0) return;
  std::lock_guard lock(mu_);
  busy_seconds_ += seconds;
  if (tokens == 0) return;  // a prefill chunk: busy time, but no decode rate
  const double rate = double(tokens) / seconds;
  step_tokens_per_s_ = step_tokens_per_s_ == 0 ? rate : 0.9 * step_tokens_per_s_ + 0.1 * rate;
}

std::string Metrics::render() const {
  std::string out;
  {
    std::lock_guard lock(mu_);
    out += "# HELP lowbit_requests_total HTTP requests by endpoint and status.\n# TYPE lowbit_requests_total counter\n";
    for (const auto& [k, n] : requests_)
      out += fmt::format("lowbit_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n", k.first, k.second, n);
    out += fmt::format(
        "# HELP lowbit_prompt_tokens_total Prompt tokens of finished requests.\n"
        "# TYPE lowbit_prompt_tokens_total counter\nlowbit_prompt_tokens_total {}\n"
        "# HELP lowbit_generated_tokens_total Tokens generated.\n"
        "# TYPE lowbit_generated_tokens_total counter\nlowbit_generated_tokens_total {}\n"
        "# HELP lowbit_tokens_per_second Aggregate decode rate over all slots (moving average of steps).\n"
        "# TYPE lowbit_tokens_per_second gauge\nlowbit_tokens_per_second {:.3f}\n"
        "# HELP lowbit_busy_seconds_total Time the scheduler spent running the model.\n"
        "# TYPE lowbit_busy_seconds_total counter\nlowbit_busy_seconds_total {:.6f}\n",
        prompt_tokens_, generated_tokens_, step_tokens_per_s_, busy_seconds_);
  }
  out += fmt::format(
      "# HELP lowbit_queue_length Requests waiting for a slot.\n# TYPE lowbit_queue_length gauge\nlowbit_queue_length {}\n"
      "# HELP lowbit_slots_busy Slots generating.\n# TYPE lowbit_slots_busy gauge\nlowbit_slots_busy {}\n"
      "# HELP lowbit_slots_total Slots.\n# TYPE lowbit_slots_total gauge\nlowbit_slots_total {}\n"
      "# HELP lowbit_rejected_total Requests answered 503 because the queue was full.\n"
      "# TYPE lowbit_rejected_total counter\nlowbit_rejected_total {}\n",
      queue_length.load(), busy_slots.load(), total_slots.load(), rejected.load());
  queue_.render(out, "lowbit_queue_seconds", "Time from arrival to a slot.");
  first_token_.render(out, "lowbit_first_token_seconds", "Time from arrival to the first generated token.");
  total_.render(out, "lowbit_request_seconds", "Time from arrival to the last token.");
  return out;
}

}  // namespace lowbit::server
