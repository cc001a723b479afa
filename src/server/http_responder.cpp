#include "server/http_responder.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <fmt/format.h>

namespace lowbit::server {

const char* status_reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string HttpResponder::head(int status, std::string_view content_type, const std::string& framing) const {
  std::string h = fmt::format("HTTP/1.{} {} {}\r\nContent-Type: {}\r\n{}", minor_, status, status_reason(status),
                              content_type, framing);
  for (const auto& [k, v] : headers_) h += fmt::format("{}: {}\r\n", k, v);
  if (!keep_alive_) h += "Connection: close\r\n";
  else if (minor_ == 0) h += "Connection: keep-alive\r\n";
  return h + "\r\n";
}

bool HttpResponder::write_all(std::string_view data) {
  if (failed_) return false;
  const auto end = std::chrono::steady_clock::now() + write_timeout_;
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    pollfd p{fd_, POLLOUT, 0};
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && left.count() > 0 &&
        ::poll(&p, 1, int(left.count())) > 0 && !(p.revents & (POLLERR | POLLHUP)))
      continue;
    failed_ = true;
    return false;
  }
  return true;
}

bool HttpResponder::send(int status, std::string_view content_type, std::string_view body) {
  started_ = done_ = true;
  status_ = status;
  std::string out = head(status, content_type, fmt::format("Content-Length: {}\r\n", body.size()));
  out += body;
  return write_all(out);
}

bool HttpResponder::start_stream(int status, std::string_view content_type) {
  started_ = true;
  status_ = status;
  chunked_ = minor_ == 1;
  if (!chunked_) keep_alive_ = false;  // HTTP/1.0: the body ends at the close
  return write_all(head(status, content_type, chunked_ ? "Transfer-Encoding: chunked\r\n" : ""));
}

bool HttpResponder::write(std::string_view data) {
  if (data.empty()) return !failed_;
  if (!chunked_) return write_all(data);
  return write_all(fmt::format("{:x}\r\n", data.size())) && write_all(data) && write_all("\r\n");
}

bool HttpResponder::end() {
  done_ = true;
  return !chunked_ || write_all("0\r\n\r\n");
}

bool HttpResponder::peer_gone() {
  if (failed_) return true;
  pollfd p{fd_, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return true;  // reset: nobody reads
  if (!(p.revents & POLLRDHUP)) return false;
  // The client sent FIN: a half-close (it still reads) or a full close. Only
  // a write tells them apart (a closed socket answers it with a reset), so
  // an HTTP/1.1 client that has no response yet gets an interim
  // "100 Continue", which RFC 9110 15.2 obliges it to skip. A stream's own
  // writes do the same job.
  if (!probed_ && !started_ && minor_ == 1) {
    probed_ = true;
    keep_alive_ = false;  // nothing more will come from this client
    return !write_all("HTTP/1.1 100 Continue\r\n\r\n");
  }
  keep_alive_ = false;
  return false;
}

}  // namespace lowbit::server
