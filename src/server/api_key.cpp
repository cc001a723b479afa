#include "server/api_key.hpp"

#include <errno.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/error.hpp"

namespace lowbit::server {

bool constant_time_equal(const std::string& a, const std::string& b) {
  // Walk the expected string's length whatever the input, so the time
  // reveals nothing about how many leading bytes matched.
  size_t diff = a.size() ^ b.size();
  for (size_t i = 0; i < b.size(); ++i) diff |= size_t(uint8_t(i < a.size() ? a[i] : 0) ^ uint8_t(b[i]));
  return diff == 0;
}

bool bearer_matches(const std::string* authorization, const std::string& key) {
  return authorization && constant_time_equal(*authorization, "Bearer " + key);
}

std::string read_api_key_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  LOWBIT_CHECK(f, "cannot read the API key file '{}'", path);
  std::string key;
  std::getline(f, key);
  if (!key.empty() && key.back() == '\r') key.pop_back();
  LOWBIT_CHECK(!key.empty(), "the API key file '{}' is empty (the key is its first line)", path);
  LOWBIT_CHECK(std::none_of(key.begin(), key.end(), [](char c) { return uint8_t(c) < 0x20 || c == 0x7f; }),
               "the API key in '{}' has control characters", path);
  return key;
}

void scrub_from_command_line(const std::string& secret) {
  if (secret.empty()) return;
  // The kernel shows the memory of argv; glibc's program_invocation_name
  // is argv[0], and the other arguments follow it in one block.
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  const std::string cmdline((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  char* args = program_invocation_name;
  if (!args || cmdline.empty() || std::memcmp(args, cmdline.data(), std::strlen(args)) != 0) return;
  for (size_t pos = 0; (pos = cmdline.find(secret, pos)) != std::string::npos; pos += secret.size())
    std::memset(args + pos, 'x', secret.size());
}

}  // namespace lowbit::server
