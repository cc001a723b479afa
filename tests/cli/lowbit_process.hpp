// Running the built `lowbit` binary as a user does, for the CLI tests:
// with pipes (stdin from a string, stdout and stderr apart), or on a
// pseudo-terminal (a terminal session: echo, Ctrl-C as SIGINT, isatty true).
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace lowbit_test {

namespace fs = std::filesystem;

struct Result {
  int status;
  std::string out, err;
};

inline std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

// `lowbit ARGS` through the shell (ARGS may quote), stdin from `input`
// (never the test's own stdin, which may stay open).
inline Result run_lowbit(const std::string& args, const std::string& input = "", const std::string& env = "") {
  static int n = 0;
  const std::string base = fmt::format("{}/lowbit-cli-{}-{}", fs::temp_directory_path().string(), ::getpid(), n++);
  {
    std::ofstream in(base + ".in", std::ios::binary);
    in << input;
  }
  const std::string cmd = fmt::format("{} {} {} <{}.in >{}.out 2>{}.err", env, LOWBIT_EXE, args, base, base, base);
  const int st = std::system(cmd.c_str());
  Result r{WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), read_all(base + ".out"), read_all(base + ".err")};
  for (const char* ext : {".in", ".out", ".err"}) fs::remove(base + ext);
  return r;
}

// The lines of `text` (without their '\n').
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(at, nl - at));
    at = nl + 1;
  }
  return out;
}

// `lowbit` on a pseudo-terminal: stdin, stdout and stderr are the terminal.
class PtySession {
 public:
  explicit PtySession(const std::vector<std::string>& args) {
    pid_ = ::forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      std::vector<char*> argv;
      std::string exe = LOWBIT_EXE;
      argv.push_back(exe.data());
      std::vector<std::string> copy = args;
      for (std::string& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(exe.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~PtySession() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  PtySession(const PtySession&) = delete;
  PtySession& operator=(const PtySession&) = delete;

  bool started() const { return pid_ > 0; }
  void signal(int sig) { ::kill(pid_, sig); }
  // Everything the terminal showed so far.
  const std::string& screen() const { return seen_; }

  void type(const std::string& keys) { ASSERT_EQ(::write(fd_, keys.data(), keys.size()), ssize_t(keys.size())); }

  // Reads until `what` appears at or after `from` in the screen; returns its
  // position, or npos at the timeout or the end of the output.
  size_t wait_for(const std::string& what, size_t from, double seconds = 60) {
    const auto end = deadline(seconds);
    while (true) {
      if (const size_t at = seen_.find(what, from); at != std::string::npos) return at;
      if (!read_some(end)) return std::string::npos;
    }
  }
  // Reads until the screen has more than `size` bytes.
  bool wait_for_more(size_t size, double seconds = 60) {
    const auto end = deadline(seconds);
    while (seen_.size() <= size)
      if (!read_some(end)) return false;
    return true;
  }
  // Reads to the end and returns the exit status (128 + signal if killed).
  int wait_exit(double seconds = 60) {
    const auto end = deadline(seconds);
    while (read_some(end)) {}
    int st = 0;
    for (;;) {
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() > end) return -1;
      ::usleep(10000);
    }
    exited_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }

 private:
  using Clock = std::chrono::steady_clock;
  static Clock::time_point deadline(double seconds) {
    return Clock::now() + std::chrono::milliseconds(int64_t(seconds * 1000));
  }
  bool read_some(std::chrono::steady_clock::time_point end) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, int(left.count())) <= 0) return false;
    std::array<char, 4096> buf;
    const ssize_t k = ::read(fd_, buf.data(), buf.size());
    if (k <= 0) return false;  // EIO: the child closed the terminal
    seen_.append(buf.data(), size_t(k));
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::string seen_;
};

inline std::string bundled_model() { return std::string(LOWBIT_SOURCE_DIR) + "/models/shakespeare-b158.gguf"; }

}  // namespace lowbit_test
