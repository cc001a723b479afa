// Test helper: a plain TCP client on loopback that sends exactly the bytes it
// is given, so tests can speak malformed or hostile HTTP that no client
// library would produce.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace lowbit::test {

class RawSocket {
 public:
  explicit RawSocket(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool ok() const { return fd_ >= 0; }
  // False once the server stopped taking bytes (it answered and closed).
  bool send(const std::string& s) {
    size_t off = 0;
    while (off < s.size()) {
      const ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += size_t(n);
    }
    return true;
  }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // Reads until the server closes, `until` appears in what was read, or
  // `timeout` passes; returns what was read.
  std::string read(std::chrono::milliseconds timeout, const std::string& until = {}) {
    std::string out;
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (!until.empty() && out.find(until) != std::string::npos) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, int(left.count())) <= 0) break;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buf, size_t(n));
    }
    return out;
  }
  // True when a read above saw the server close the connection.
  bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
};

// "HTTP/1.1 413 ..." -> 413; 0 when `response` is no HTTP response.
// Interim 1xx responses before the final one are skipped, as RFC 9110 15.2
// requires of clients.
inline int status_of(const std::string& response) {
  size_t at = 0;
  for (;;) {
    if (response.compare(at, 7, "HTTP/1.") != 0 || response.size() < at + 12) return 0;
    const int status = std::atoi(response.substr(at + 9, 3).c_str());
    if (status >= 200 || status < 100) return status;
    const size_t end = response.find("\r\n\r\n", at);
    if (end == std::string::npos) return status;
    at = end + 4;
  }
}

}  // namespace lowbit::test
