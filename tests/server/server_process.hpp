// Test helper: a tiny random model made with `lowbit random-model`, and
// `lowbit serve` run on it as a child process on a free loopback port (the
// server picks it with --port 0 and prints it on stderr).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace lowbit::test {

inline std::string tiny_model_path() {
  static const std::string path = [] {
    const auto dir = std::filesystem::temp_directory_path() / ("lowbit-server-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::string p = (dir / "tiny.gguf").string();
    const std::string cmd = std::string(LOWBIT_EXE) + " random-model -o " + p +
                            " --vocab 512 --embd 256 --layers 2 --heads 4 --kv-heads 2 --ff 512 --ctx 512 2>/dev/null";
    if (std::system(cmd.c_str()) != 0) return std::string();
    static const std::filesystem::path cleanup_dir = dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(cleanup_dir, ec);
    });
    return p;
  }();
  return path;
}

class ServerProcess {
 public:
  // Starts `lowbit serve -m <model, default the tiny one> --port 0 <args>`; port() is 0 when
  // it did not come up.
  explicit ServerProcess(const std::vector<std::string>& args, const std::string& model = tiny_model_path()) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 2);
      close(fds[0]);
      std::vector<std::string> all = {LOWBIT_EXE, "serve", "-m", model, "--port", "0", "-t", "2"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      argv.reserve(all.size() + 1);
      for (auto& s : all) argv.push_back(s.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    err_ = fdopen(fds[0], "r");
    // Read stderr until the "serving ... on http://host:port" line.
    // (The port is after the last colon: an IPv6 host is http://[::1]:PORT.)
    static const std::regex re(R"(on (http://\S*):(\d+))");
    char line[4096];
    while (err_ && std::fgets(line, sizeof line, err_)) {
      std::cmatch m;
      if (std::regex_search(line, m, re)) {
        port_ = std::stoi(m[2]);
        banner_ = line;
        break;
      }
      early_ += line;
    }
    // Keep draining stderr so the server never blocks on a full pipe.
    drain_ = std::thread([f = err_] {
      char buf[4096];
      while (std::fgets(buf, sizeof buf, f)) {
      }
    });
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (drain_.joinable()) drain_.join();
    if (err_) std::fclose(err_);
  }

  int port() const { return port_; }
  // The "serving ... on http://..." line, and what was printed before it.
  const std::string& banner() const { return banner_; }
  const std::string& early_stderr() const { return early_; }
  pid_t pid() const { return pid_; }

  // Resident memory of the server, in KiB (from /proc/<pid>/status).
  long rss_kib() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/status");
    std::string key;
    long v = -1;
    while (f >> key)
      if (key == "VmRSS:") {
        f >> v;
        break;
      }
    return v;
  }

  // Sends SIGTERM; returns the exit status, or -1 if it had not exited
  // within `timeout`.
  int terminate(std::chrono::seconds timeout) {
    kill(pid_, SIGTERM);
    return wait_exit(timeout);
  }
  // The exit status once it exits by itself, or -1 after `timeout`.
  int wait_exit(std::chrono::seconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  bool exited_ = false;
  FILE* err_ = nullptr;
  std::string banner_, early_;
  std::thread drain_;
};

}  // namespace lowbit::test
