// The llama-server client script of docs/SERVER.md (the ```sh block after
// `<!-- client-script -->`), run line by line with bash and curl against
// `lowbit serve` on the bundled model; every answer is checked for the
// shape llama-server gives, and every curl line of the block must have a
// check here, so the doc cannot grow lines nobody runs.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "server_process.hpp"

namespace lowbit::test {
namespace {

using nlohmann::json;

std::vector<std::string> script_lines() {
  std::ifstream f(std::string(LOWBIT_SOURCE_DIR) + "/docs/SERVER.md");
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string doc = ss.str();
  const size_t marker = doc.find("<!-- client-script -->");
  if (marker == std::string::npos) return {};
  const size_t open = doc.find("```sh\n", marker);
  const size_t close = doc.find("```", open + 6);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> lines;
  std::istringstream body(doc.substr(open + 6, close - open - 6));
  for (std::string line; std::getline(body, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string run(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return {};
  std::string out;
  char buf[4096];
  size_t got;
  while ((got = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, got);
  pclose(p);
  return out;
}

// Checks the answer to one curl line by the path it asks; false when the
// line has no check.
bool check_answer(const std::string& line, const std::string& out) {
  SCOPED_TRACE(line);
  const json j = json::parse(out, nullptr, false);
  auto has = [&](const char* path) { return line.find(std::string("$URL") + path + "\"") != std::string::npos; };
  if (has("/health")) {
    EXPECT_EQ(j["status"], "ok");
  } else if (has("/props")) {
    EXPECT_TRUE(j["total_slots"].is_number_integer());
    EXPECT_TRUE(j["default_generation_settings"]["n_ctx"].is_number_integer());
    EXPECT_TRUE(j["default_generation_settings"]["params"].is_object());
    EXPECT_TRUE(j["model_path"].is_string());
    EXPECT_TRUE(j["chat_template"].is_string());
  } else if (has("/slots")) {
    EXPECT_TRUE(j.is_array() && !j.empty() && j[0]["id"].is_number_integer() && j[0]["is_processing"].is_boolean())
        << out;
  } else if (has("/tokenize")) {
    EXPECT_TRUE(j["tokens"].is_array()) << out;
    std::string joined;
    for (const json& t : j.value("tokens", json::array())) {
      EXPECT_TRUE(t["id"].is_number_integer());
      joined += t["piece"].get<std::string>();
    }
    EXPECT_EQ(joined, "To be, or not to be");
  } else if (has("/detokenize")) {
    EXPECT_TRUE(j["content"].is_string()) << out;
  } else if (has("/completion") && line.find("\"stream\": true") != std::string::npos) {
    size_t pos = 0, events = 0;
    json last;
    while ((pos = out.find("data: ", pos)) != std::string::npos) {
      const size_t end = out.find("\n\n", pos);
      last = json::parse(out.substr(pos + 6, end - pos - 6), nullptr, false);
      EXPECT_TRUE(last["content"].is_string());
      pos = end, ++events;
    }
    EXPECT_GE(events, 1u) << out;
    EXPECT_EQ(last["stop"], true);
    EXPECT_TRUE(last["timings"].is_object());
  } else if (has("/completion")) {
    EXPECT_TRUE(j["content"].is_string()) << out;
    EXPECT_EQ(j["stop"], true);
    EXPECT_TRUE(j["stop_type"].is_string());
    EXPECT_TRUE(j["tokens_predicted"].is_number_integer());
    EXPECT_TRUE(j["timings"]["predicted_per_second"].is_number());
    const std::string text = j.value("content", "");
    if (line.find("\"grammar\"") != std::string::npos) {
      EXPECT_TRUE(std::regex_match(text, std::regex("(yes|no)\\."))) << text;
    }
    if (line.find("\"json_schema\"") != std::string::npos) {
      const json v = json::parse(text, nullptr, false);
      EXPECT_TRUE(v.is_object() && v["name"].is_string() && v["age"].is_number_integer()) << text;
    }
  } else if (has("/v1/chat/completions")) {
    EXPECT_TRUE(j["choices"][0]["message"]["content"].is_string()) << out;
  } else if (has("/v1/completions")) {
    EXPECT_TRUE(j["choices"][0]["text"].is_string()) << out;
  } else if (has("/v1/embeddings")) {
    EXPECT_EQ(j["data"].size(), 2u) << out;
    EXPECT_TRUE(j["data"][0]["embedding"].is_array());
  } else if (has("/v1/models")) {
    EXPECT_TRUE(j["data"][0]["id"].is_string()) << out;
  } else {
    return false;
  }
  return true;
}

TEST(ClientScript, RunsUnchangedAgainstLowbitServe) {
  if (std::system("curl --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "curl is not installed";
  const std::vector<std::string> lines = script_lines();
  ASSERT_GE(lines.size(), 10u) << "no client script in docs/SERVER.md";
  ASSERT_EQ(lines[0].rfind("URL=", 0), 0u) << "the script starts by setting URL";
  ServerProcess s({"--parallel", "2"}, std::string(LOWBIT_SOURCE_DIR) + "/models/shakespeare-b158.gguf");
  ASSERT_GT(s.port(), 0);
  const std::string prefix = "URL=http://127.0.0.1:" + std::to_string(s.port()) + "; ";
  for (size_t i = 1; i < lines.size(); ++i) {
    ASSERT_EQ(lines[i].rfind("curl ", 0), 0u) << "every line after the first is a curl call: " << lines[i];
    // bash -c with the line as one argument: no shell quoting of ours in between.
    const std::string out =
        run("bash -c " + std::string("'") + std::regex_replace(prefix + lines[i], std::regex("'"), "'\\''") + "'");
    EXPECT_TRUE(check_answer(lines[i], out)) << "no check for: " << lines[i];
  }
}

}  // namespace
}  // namespace lowbit::test
