// One HTTP/1.1 request as the server's handlers see it, and the limits its
// parser enforces (see http_request_parser.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lowbit::server {

struct HttpLimits {
  size_t max_header_bytes = 16 * 1024;  // request line + headers (+ chunked trailers)
  size_t max_headers = 100;             // header lines (+ trailer lines)
  size_t max_body_bytes = 1 << 20;      // decoded body, Content-Length or chunked
};

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;    // target without the query
  int minor_version = 1;  // HTTP/1.<minor>
  // Names lower-cased; values without surrounding whitespace, raw bytes
  // otherwise (a NUL becomes a space, as RFC 9110 allows).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool keep_alive = true;

  // The first header called `name` (lower case), or nullptr.
  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
};

}  // namespace lowbit::server
