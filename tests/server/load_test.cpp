// A bounded load test: 200 requests from 16 concurrent clients against 4
// slots and a queue of 4. Every request must complete (200) or be refused
// (503 with Retry-After); none may hang; the server's resident memory must
// not grow with the number of requests served.
#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/asan.hpp"
#include "server_process.hpp"

namespace lowbit::test {
namespace {

using nlohmann::json;

struct Tally {
  std::atomic<int> ok{0}, busy{0}, other{0};
};

void hammer(int port, int n_requests, int n_clients, Tally& t) {
  std::atomic<int> next{0};
  std::vector<std::thread> clients;
  clients.reserve(size_t(n_clients));
  for (int c = 0; c < n_clients; ++c)
    clients.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_read_timeout(60);
      for (int i; (i = next++) < n_requests;) {
        const bool stream = i % 3 == 0;
        const json body = {{"prompt", "request " + std::to_string(i)}, {"max_tokens", 1 + i % 24},
                           {"stream", stream}, {"seed", i}};
        auto r = cli.Post("/v1/completions", body.dump(), "application/json");
        if (r && r->status == 200 && (stream ? r->body.find("data: [DONE]") != std::string::npos
                                             : json::parse(r->body)["choices"][0]["text"].is_string()))
          ++t.ok;
        else if (r && r->status == 503 && r->get_header_value("Retry-After") == "1") {
          ++t.busy;
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a short back-off, not the full second
        }
        else
          ++t.other;
      }
    });
  for (auto& th : clients) th.join();
}

TEST(Load, TwoHundredRequestsSixteenClientsCompleteOrGet503) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--parallel", "4", "--queue", "4"});
  ASSERT_GT(s.port(), 0);
  Tally warm;
  hammer(s.port(), 100, 16, warm);  // reach the steady state (threads, caches, allocator)
  const long rss_before = s.rss_kib();
  Tally t;
  hammer(s.port(), 200, 16, t);
  const long rss_after = s.rss_kib();
  EXPECT_EQ(t.ok + t.busy, 200);
  EXPECT_EQ(t.other, 0);
  EXPECT_GT(t.ok, 0);
  // Memory stays flat: a leak of even 50 KiB per request would show.
  // (Not under AddressSanitizer: its quarantine holds freed memory on purpose.)
  if (!kUnderAsan) {
    EXPECT_LT(rss_after - rss_before, 8 * 1024) << rss_before << " KiB -> " << rss_after << " KiB";
  }
  std::printf("load: %d ok, %d busy (503); VmRSS %ld -> %ld KiB\n", t.ok.load(), t.busy.load(), rss_before,
              rss_after);
  // Everything is released afterwards.
  httplib::Client c("127.0.0.1", s.port());
  const std::string m = c.Get("/metrics")->body;
  EXPECT_NE(m.find("\nlowbit_slots_busy 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("\nlowbit_queue_length 0\n"), std::string::npos);
  EXPECT_EQ(s.terminate(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace lowbit::test
