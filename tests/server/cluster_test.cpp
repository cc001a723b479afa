// Runs tests/e2e/cluster_test.mjs: 3 replicas of `lowbit serve` on the tiny
// model behind HAProxy (scripts/serve-cluster), 200 requests with the
// official `openai` client while one replica is SIGKILLed. Skipped when
// node, the npm modules or haproxy are missing.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "server_process.hpp"

namespace lowbit::test {
namespace {

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A base port with the next `n` ports free too.
int free_port_range(int n) {
  std::mt19937 gen(std::random_device{}());
  for (int tries = 0; tries < 200; ++tries) {
    const int base = std::uniform_int_distribution<int>(20000, 60000)(gen);
    bool ok = true;
    for (int i = 0; i < n && ok; ++i) ok = port_free(base + i);
    if (ok) return base;
  }
  return 0;
}

TEST(Cluster, ThreeReplicasBehindHaproxySurviveAKilledReplica) {
  const std::string root = LOWBIT_SOURCE_DIR;
  if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node is not installed";
  if (std::system("haproxy -v > /dev/null 2>&1") != 0) GTEST_SKIP() << "haproxy is not installed (scripts/setup)";
  if (!std::filesystem::exists(root + "/tests/e2e/node_modules/openai/package.json"))
    GTEST_SKIP() << "run `npm ci --prefix tests/e2e` first";
  ASSERT_FALSE(tiny_model_path().empty());
  const int port = free_port_range(5);
  ASSERT_GT(port, 0);
  const std::string run = tiny_model_path() + ".cluster";
  const pid_t cluster = fork();
  if (cluster == 0) {
    setpgid(0, 0);  // its own group, so the whole cluster can be stopped
    execl("/bin/bash", "bash", (root + "/scripts/serve-cluster").c_str(), "3", "--port", std::to_string(port).c_str(),
          "--run-dir", run.c_str(), "--lowbit", LOWBIT_EXE, "--", "-m", tiny_model_path().c_str(), "--model-id",
          "tiny", "-t", "1", "--parallel", "2", "--queue", "16", "--shutdown-grace", "2", nullptr);
    _exit(127);
  }
  setpgid(cluster, cluster);
  const std::string cmd = "timeout 200 node " + root + "/tests/e2e/cluster_test.mjs " + std::to_string(port) + " " +
                          std::to_string(port + 4) + " " + run + " tiny";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd << "\n(logs in " << run << ")";
  // Stop it (a drain), and make sure nothing is left behind.
  kill(cluster, SIGTERM);
  for (int i = 0; i < 300 && waitpid(cluster, nullptr, WNOHANG) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  kill(-cluster, SIGKILL);
  waitpid(cluster, nullptr, WNOHANG);
}

}  // namespace
}  // namespace lowbit::test
