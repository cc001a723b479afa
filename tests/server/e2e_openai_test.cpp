// Runs tests/e2e/client_test.mjs (the official `openai` npm client) against
// `lowbit serve` on the bundled model. Skipped when node or the npm
// modules (npm ci --prefix tests/e2e) are not installed.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <filesystem>

#include "server_process.hpp"

namespace lowbit::test {
namespace {

TEST(OpenAIClient, EndToEnd) {
  const std::string e2e = std::string(LOWBIT_SOURCE_DIR) + "/tests/e2e";
  if (std::system("node --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "node is not installed";
  if (!std::filesystem::exists(e2e + "/node_modules/openai/package.json"))
    GTEST_SKIP() << "run `npm ci --prefix tests/e2e` first";
  ASSERT_FALSE(tiny_model_path().empty());
  // The bundled model, as users would first run it.
  ServerProcess s({"--parallel", "4", "--api-key", "e2e-key", "--model-id", "tiny"},
                  std::string(LOWBIT_SOURCE_DIR) + "/models/shakespeare-b158.gguf");
  ASSERT_GT(s.port(), 0);
  const std::string cmd = "node " + e2e + "/client_test.mjs " + std::to_string(s.port()) + " e2e-key tiny";
  const int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  EXPECT_EQ(s.terminate(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace lowbit::test
