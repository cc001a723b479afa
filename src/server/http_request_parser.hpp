// Incremental HTTP/1.1 request parser (RFC 9112) that enforces its limits on
// every byte as it arrives, so a hostile client is refused before it has
// cost more than the limits: header lines and bytes (431), the decoded body
// whether framed by Content-Length or chunked (413, counted chunk by chunk),
// and framing that two parties could read differently (400: conflicting or
// malformed Content-Length, Content-Length with Transfer-Encoding).
#pragma once

#include <string>
#include <string_view>

#include "server/http_message.hpp"

namespace lowbit::server {

class HttpRequestParser {
 public:
  enum class State { Empty, Head, Body, Complete, Error };

  explicit HttpRequestParser(const HttpLimits& limits) : limits_(limits) {}

  // Consumes a prefix of `data` and returns its length: stops after one
  // complete request (the rest belongs to the next, pipelined one) or at
  // the first error.
  size_t feed(std::string_view data);

  // Empty: no byte of a request yet; Head: request line and headers;
  // Body: the body; Complete: take() the request; Error: see error_status().
  State state() const { return state_; }
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }
  // The head is parsed and has "Expect: 100-continue" with a body to come.
  bool expects_continue() const { return expect_continue_ && state_ == State::Body; }

  // The complete request; the parser is then ready for the next one.
  HttpRequest take();

 private:
  size_t feed_head(std::string_view data);
  size_t feed_fixed_body(std::string_view data);
  size_t feed_chunked(std::string_view data);
  // Handles one complete line of the head (without its line ending).
  void head_line(std::string_view line);
  void finish_head();
  bool framing_from_headers();
  void chunk_size_line(std::string_view line);
  void fail(int status, std::string message);
  void complete();

  enum class Chunk { Size, Data, DataEnd, Trailer };

  HttpLimits limits_;
  State state_ = State::Empty;
  HttpRequest req_;
  std::string line_;         // the line being read (head, chunk size, trailer)
  size_t head_bytes_ = 0;    // head + trailer bytes so far
  size_t header_lines_ = 0;  // header + trailer lines so far
  bool chunked_ = false, expect_continue_ = false;
  size_t body_left_ = 0;     // Content-Length bytes, or the current chunk's
  Chunk chunk_ = Chunk::Size;
  int error_status_ = 0;
  std::string error_message_;
};

}  // namespace lowbit::server
