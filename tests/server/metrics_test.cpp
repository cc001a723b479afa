// The Prometheus text of /metrics, against hand-computed values.
#include <gtest/gtest.h>

#include "server/metrics.hpp"

namespace lowbit::server {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) h.observe(v);
  std::string out;
  h.render(out, "x_seconds", "help");
  EXPECT_TRUE(has_line(out, "# TYPE x_seconds histogram"));
  EXPECT_TRUE(has_line(out, "x_seconds_bucket{le=\"0.1\"} 2"));  // le is inclusive
  EXPECT_TRUE(has_line(out, "x_seconds_bucket{le=\"1\"} 3"));
  EXPECT_TRUE(has_line(out, "x_seconds_bucket{le=\"10\"} 4"));
  EXPECT_TRUE(has_line(out, "x_seconds_bucket{le=\"+Inf\"} 5"));
  EXPECT_TRUE(has_line(out, "x_seconds_sum 55.65"));
  EXPECT_TRUE(has_line(out, "x_seconds_count 5"));
}

TEST(Metrics, CountersAndRate) {
  Metrics m;
  m.count_request("/v1/completions", 200);
  m.count_request("/v1/completions", 200);
  m.count_request("/v1/completions", 503);
  m.observe_job(0.01, 0.02, 0.5, 7, 3);
  m.observe_job(0.01, 0.02, 0.5, 5, 0);
  m.observe_step(0, 1.0);   // prefill: busy, no rate
  m.observe_step(4, 0.5);   // 8 tok/s
  m.observe_step(2, 0.25);  // 8 tok/s again
  m.queue_length = 3;
  const std::string out = m.render();
  EXPECT_TRUE(has_line(out, "lowbit_requests_total{endpoint=\"/v1/completions\",status=\"200\"} 2"));
  EXPECT_TRUE(has_line(out, "lowbit_requests_total{endpoint=\"/v1/completions\",status=\"503\"} 1"));
  EXPECT_TRUE(has_line(out, "lowbit_prompt_tokens_total 12"));
  EXPECT_TRUE(has_line(out, "lowbit_generated_tokens_total 3"));
  EXPECT_TRUE(has_line(out, "lowbit_tokens_per_second 8.000"));
  EXPECT_TRUE(has_line(out, "lowbit_busy_seconds_total 1.750000"));
  EXPECT_TRUE(has_line(out, "lowbit_queue_length 3"));
  // A job without tokens has no first-token time.
  EXPECT_TRUE(has_line(out, "lowbit_first_token_seconds_count 1"));
  EXPECT_TRUE(has_line(out, "lowbit_request_seconds_count 2"));
}

}  // namespace
}  // namespace lowbit::server
