// Writes one HTTP/1.1 response on a connection: a whole body with
// Content-Length, or a stream in chunked transfer coding (raw until close for
// an HTTP/1.0 client). Every write has a deadline, so a client that stops
// reading cannot hold a server thread. Also tells a client that went away
// from one that only half-closed its side after sending the request.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lowbit::server {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

class HttpResponder {
 public:
  // `keep_alive`: the request allows another one on this connection.
  HttpResponder(int fd, int minor_version, bool keep_alive, std::chrono::milliseconds write_timeout)
      : fd_(fd), minor_(minor_version), keep_alive_(keep_alive), write_timeout_(write_timeout) {}

  // Adds a header to the response not yet started.
  void header(std::string name, std::string value) { headers_.emplace_back(std::move(name), std::move(value)); }
  // Ends the connection after this response.
  void close_after() { keep_alive_ = false; }

  // The whole response. False when the client could not be written to.
  bool send(int status, std::string_view content_type, std::string_view body);
  // A streamed 200 (or `status`) response; then write() pieces and end().
  bool start_stream(int status, std::string_view content_type);
  bool write(std::string_view data);
  bool end();

  // True when the client is gone (reset, or closed and refusing data). A
  // client that only shut down its sending side still gets the response.
  bool peer_gone();

  bool started() const { return started_; }
  int status() const { return status_; }
  // The connection can carry the next request.
  bool reusable() const { return keep_alive_ && !failed_ && done_; }

 private:
  std::string head(int status, std::string_view content_type, const std::string& framing) const;
  bool write_all(std::string_view data);

  int fd_;
  int minor_;
  bool keep_alive_;
  std::chrono::milliseconds write_timeout_;
  HttpHeaders headers_;
  bool started_ = false, chunked_ = false, done_ = false, failed_ = false, probed_ = false;
  int status_ = 0;
};

// "OK", "Not Found", ... for the status codes this server sends.
const char* status_reason(int status);

}  // namespace lowbit::server
