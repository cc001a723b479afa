// HTTP/1.1 request parsing: any byte string, fed whole or byte by byte,
// gives the same outcome (same state, status, bytes used, request), the
// body never exceeds its limit, and errors are 4xx/5xx statuses the server
// knows how to send.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/http_request_parser.hpp"

using lowbit::server::HttpLimits;
using lowbit::server::HttpRequestParser;

namespace {

struct Outcome {
  HttpRequestParser::State state;
  int status;
  size_t used;
  std::string body, path;
  size_t headers;
};

Outcome run(std::string_view in, const HttpLimits& limits, size_t step) {
  HttpRequestParser p(limits);
  size_t used = 0;
  while (used < in.size()) {
    const size_t n = p.feed(in.substr(used, std::min(step, in.size() - used)));
    used += n;
    if (n == 0 || p.state() == HttpRequestParser::State::Complete || p.state() == HttpRequestParser::State::Error)
      break;
  }
  Outcome o{p.state(), p.error_status(), used, {}, {}, 0};
  if (p.state() == HttpRequestParser::State::Complete) {
    const auto r = p.take();
    o.body = r.body;
    o.path = r.path;
    o.headers = r.headers.size();
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  HttpLimits limits;
  limits.max_header_bytes = 2048;
  limits.max_headers = 16;
  limits.max_body_bytes = 4096;
  const Outcome whole = run(in, limits, in.size() + 1);
  const Outcome bytes = run(in, limits, 1);
  if (whole.state != bytes.state || whole.status != bytes.status || whole.used != bytes.used ||
      whole.body != bytes.body || whole.path != bytes.path || whole.headers != bytes.headers)
    std::abort();
  if (whole.used > in.size() || whole.body.size() > limits.max_body_bytes || whole.headers > limits.max_headers)
    std::abort();
  if (whole.state == HttpRequestParser::State::Error) {
    switch (whole.status) {
      case 400: case 413: case 414: case 431: case 501: case 505: break;
      default: std::abort();
    }
  }
  return 0;
}
