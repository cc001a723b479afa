// `lowbit serve`'s API key, bind address and shutdown answers (issue 14,
// failure 6): exact key comparison on the raw header bytes, keys that stay
// out of /proc/PID/cmdline, no open server on a public address by accident,
// bracketed IPv6 URLs, and "shutting down" (not "overloaded") during a drain.
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <sstream>

#include <nlohmann/json.hpp>

#include "raw_socket.hpp"
#include "server_process.hpp"

namespace lowbit::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string get_models(const std::string& auth_line) {
  return "GET /v1/models HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + auth_line + "\r\n";
}

std::string cmdline_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int models_status(int port, const std::string& key) {
  RawSocket s(port);
  s.send(get_models("Authorization: Bearer " + key + "\r\n"));
  return status_of(s.read(seconds(5), "\r\n\r\n"));
}

TEST(ServeSecurity, KeyWithTrailingBytesIsRefused) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--api-key", "sekrit"});
  ASSERT_GT(s.port(), 0);
  EXPECT_EQ(models_status(s.port(), "sekrit"), 200);
  for (const std::string& bad : {std::string("sekrit\0x", 8), std::string("sekrit\0", 7), std::string("sekri"),
                                std::string("sekritx"), std::string("SEKRIT")})
    EXPECT_EQ(models_status(s.port(), bad), 401) << json(bad).dump(-1, ' ', true);
}

TEST(ServeSecurity, KeyFromAFileIsNotOnTheCommandLine) {
  ASSERT_FALSE(tiny_model_path().empty());
  const std::string path = tiny_model_path() + ".key";
  std::ofstream(path) << "file-key-123\n";  // the trailing newline is not part of the key
  ServerProcess s({"--api-key-file", path});
  ASSERT_GT(s.port(), 0);
  EXPECT_EQ(models_status(s.port(), "file-key-123"), 200);
  EXPECT_EQ(models_status(s.port(), "wrong"), 401);
  EXPECT_EQ(cmdline_of(s.pid()).find("file-key-123"), std::string::npos);
}

TEST(ServeSecurity, KeyGivenWithApiKeyIsScrubbedFromTheCommandLine) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--api-key", "visible-key-456"});
  ASSERT_GT(s.port(), 0);
  EXPECT_EQ(models_status(s.port(), "visible-key-456"), 200);
  EXPECT_EQ(cmdline_of(s.pid()).find("visible-key-456"), std::string::npos);
}

TEST(ServeSecurity, PublicAddressWithoutKeyIsRefused) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--host", "0.0.0.0"});
  EXPECT_EQ(s.port(), 0) << "it served: " << s.banner();
  EXPECT_NE(s.wait_exit(seconds(10)), 0);
  EXPECT_NE(s.early_stderr().find("--insecure-no-key"), std::string::npos) << s.early_stderr();
}

TEST(ServeSecurity, Ipv6UrlIsBracketed) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--host", "::1"});
  ASSERT_GT(s.port(), 0) << s.early_stderr();
  EXPECT_NE(s.banner().find("http://[::1]:" + std::to_string(s.port())), std::string::npos) << s.banner();
}

TEST(ServeSecurity, DrainingServerSaysShuttingDown) {
  ASSERT_FALSE(tiny_model_path().empty());
  ServerProcess s({"--parallel", "1", "--queue", "0", "--shutdown-grace", "20"});
  ASSERT_GT(s.port(), 0);
  // A long stream keeps the server draining after SIGTERM.
  RawSocket running(s.port());
  const std::string body = json{{"prompt", "x"}, {"max_tokens", 500}, {"stream", true}}.dump();
  running.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n" + body);
  ASSERT_EQ(status_of(running.read(seconds(10), "data: ")), 200);
  kill(s.pid(), SIGTERM);
  std::string seen;
  for (int i = 0; i < 200 && seen.find("shutting") == std::string::npos; ++i) {
    RawSocket probe(s.port());
    if (!probe.ok()) break;
    const std::string short_body = R"({"prompt":"x","max_tokens":1})";
    probe.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: " +
               std::to_string(short_body.size()) + "\r\n\r\n" + short_body);
    seen = probe.read(seconds(5));
    if (seen.find("shutting") == std::string::npos) std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(status_of(seen), 503) << seen;
  EXPECT_NE(seen.find("shutting_down"), std::string::npos) << seen;
  EXPECT_NE(seen.find("Retry-After"), std::string::npos) << seen;
  EXPECT_EQ(s.wait_exit(seconds(30)), 0);
}

}  // namespace
}  // namespace lowbit::test
