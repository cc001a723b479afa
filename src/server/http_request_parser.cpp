#include "server/http_request_parser.hpp"

#include <algorithm>
#include <cctype>

namespace lowbit::server {

namespace {

constexpr size_t kMaxChunkLine = 1024;  // hex size + extensions
constexpr size_t kMaxDigits = 18;       // a Content-Length or chunk size that fits in 63 bits

bool is_tchar(char c) {
  return std::isalnum(uint8_t(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(uint8_t(c)));
  return out;
}

bool equals_nocase(std::string_view a, std::string_view b) { return lower(a) == lower(b); }

// 1*DIGIT, at most kMaxDigits; -1 when not, -2 when only too long.
int64_t parse_decimal(std::string_view s) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return -1;
  while (s.size() > 1 && s.front() == '0') s.remove_prefix(1);
  if (s.size() > kMaxDigits) return -2;
  int64_t v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// Takes bytes of `data` up to and including a '\n', but at most `room`,
// into `line`; true when the line is whole (its "\r\n" or "\n" removed).
// Stopping at `room` makes a limit fail at the same byte however the input
// was split.
bool take_line(std::string_view data, size_t room, size_t& used, std::string& line) {
  data = data.substr(0, room);
  const size_t nl = data.find('\n');
  used = nl == std::string_view::npos ? data.size() : nl + 1;
  line.append(data.substr(0, used));
  if (nl == std::string_view::npos) return false;
  line.pop_back();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

}  // namespace

void HttpRequestParser::fail(int status, std::string message) {
  state_ = State::Error;
  error_status_ = status;
  error_message_ = std::move(message);
}

size_t HttpRequestParser::feed(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && state_ != State::Complete && state_ != State::Error) {
    const std::string_view rest = data.substr(used);
    if (state_ == State::Empty || state_ == State::Head) used += feed_head(rest);
    else if (chunked_) used += feed_chunked(rest);
    else used += feed_fixed_body(rest);
  }
  return used;
}

size_t HttpRequestParser::feed_head(std::string_view data) {
  if (state_ == State::Empty) {
    // RFC 9112 2.2: empty lines before a request line are ignored.
    size_t skip = 0;
    while (skip < data.size() && (data[skip] == '\r' || data[skip] == '\n') && line_.empty()) ++skip;
    if (skip == data.size()) return skip;
    state_ = State::Head;
    return skip;
  }
  size_t used = 0;
  const bool whole = take_line(data, limits_.max_header_bytes + 1 - head_bytes_, used, line_);
  head_bytes_ += used;
  if (head_bytes_ > limits_.max_header_bytes) {
    req_.method.empty() ? fail(414, "The request line is too long.")
                        : fail(431, "The request headers are too large.");
    return used;
  }
  if (whole) {
    const std::string line = std::move(line_);
    line_.clear();
    head_line(line);
  }
  return used;
}

void HttpRequestParser::head_line(std::string_view line) {
  if (req_.method.empty()) {  // the request line: METHOD SP target SP HTTP/1.x
    const size_t a = line.find(' '), b = line.rfind(' ');
    if (a == std::string_view::npos || a == b || a == 0) return fail(400, "Malformed request line.");
    const std::string_view method = line.substr(0, a), target = line.substr(a + 1, b - a - 1),
                           version = line.substr(b + 1);
    if (!std::all_of(method.begin(), method.end(), is_tchar)) return fail(400, "Malformed request method.");
    if (target.empty() || target.find(' ') != std::string_view::npos ||
        target.find('\0') != std::string_view::npos)
      return fail(400, "Malformed request target.");
    if (version != "HTTP/1.1" && version != "HTTP/1.0") return fail(505, "Only HTTP/1.0 and HTTP/1.1 are served.");
    req_.method = method;
    req_.target = target;
    req_.path = target.substr(0, target.find('?'));
    req_.minor_version = version.back() - '0';
    return;
  }
  if (line.empty()) return chunked_ ? complete() : finish_head();  // end of the headers (or trailers)
  if (++header_lines_ > limits_.max_headers) return fail(431, "Too many request headers.");
  if (line.front() == ' ' || line.front() == '\t') return fail(400, "Folded header lines are not accepted.");
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return fail(400, "Malformed header line.");
  const std::string_view name = line.substr(0, colon);
  if (!std::all_of(name.begin(), name.end(), is_tchar)) return fail(400, "Malformed header name.");
  if (chunked_) return;  // a trailer: counted against the limits, not kept
  std::string value(trim(line.substr(colon + 1)));
  std::replace(value.begin(), value.end(), '\0', ' ');
  req_.headers.emplace_back(lower(name), std::move(value));
}

bool HttpRequestParser::framing_from_headers() {
  int64_t length = -1;
  bool has_te = false;
  for (const auto& [name, value] : req_.headers) {
    if (name == "transfer-encoding") {
      if (has_te || !equals_nocase(value, "chunked")) {
        fail(501, "Only 'Transfer-Encoding: chunked' is supported.");
        return false;
      }
      has_te = true;
    } else if (name == "content-length") {
      // "5", "5, 5" and two "5" headers are one length; anything else is not.
      std::string_view rest = value;
      do {
        const size_t comma = rest.find(',');
        const int64_t v = parse_decimal(trim(rest.substr(0, comma)));
        if (v == -1) {
          fail(400, "Invalid Content-Length.");
          return false;
        }
        if (v == -2) {
          fail(413, "The request body is too large.");
          return false;
        }
        if (length != -1 && v != length) {
          fail(400, "Conflicting Content-Length values.");
          return false;
        }
        length = v;
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      } while (!rest.empty());
    }
  }
  if (has_te && length != -1) {
    fail(400, "Content-Length and Transfer-Encoding together are not accepted.");
    return false;
  }
  if (has_te && req_.minor_version == 0) {
    fail(400, "Transfer-Encoding is not allowed in HTTP/1.0.");
    return false;
  }
  if (length > int64_t(limits_.max_body_bytes)) {
    fail(413, "The request body is too large.");
    return false;
  }
  chunked_ = has_te;
  body_left_ = length > 0 ? size_t(length) : 0;
  return true;
}

void HttpRequestParser::finish_head() {
  if (!framing_from_headers()) return;
  const std::string* conn = req_.header("connection");
  const std::string c = conn ? lower(*conn) : std::string();
  req_.keep_alive = req_.minor_version == 1 ? c.find("close") == std::string::npos
                                            : c.find("keep-alive") != std::string::npos;
  const std::string* expect = req_.header("expect");
  expect_continue_ = expect && equals_nocase(*expect, "100-continue");
  chunk_ = Chunk::Size;
  if (!chunked_ && body_left_ == 0) return complete();
  req_.body.reserve(chunked_ ? 0 : body_left_);
  state_ = State::Body;
}

size_t HttpRequestParser::feed_fixed_body(std::string_view data) {
  const size_t n = std::min(data.size(), body_left_);
  req_.body.append(data.substr(0, n));
  body_left_ -= n;
  if (body_left_ == 0) complete();
  return n;
}

void HttpRequestParser::chunk_size_line(std::string_view line) {
  const std::string_view hex = trim(line.substr(0, line.find(';')));
  if (hex.empty() || hex.size() > 15 || !std::all_of(hex.begin(), hex.end(), [](char c) { return std::isxdigit(uint8_t(c)); }))
    return fail(400, "Malformed chunk size.");
  const size_t size = std::stoull(std::string(hex), nullptr, 16);
  if (size > limits_.max_body_bytes - req_.body.size()) return fail(413, "The request body is too large.");
  body_left_ = size;
  chunk_ = size == 0 ? Chunk::Trailer : Chunk::Data;
}

size_t HttpRequestParser::feed_chunked(std::string_view data) {
  size_t used = 0;
  switch (chunk_) {
    case Chunk::Size: {
      const bool whole = take_line(data, kMaxChunkLine + 1 - line_.size(), used, line_);
      if (!whole && line_.size() > kMaxChunkLine) {
        fail(400, "Malformed chunk size.");
        return used;
      }
      if (whole) {
        const std::string line = std::move(line_);
        line_.clear();
        chunk_size_line(line);
      }
      return used;
    }
    case Chunk::Data:
      used = std::min(data.size(), body_left_);
      req_.body.append(data.substr(0, used));
      body_left_ -= used;
      if (body_left_ == 0) chunk_ = Chunk::DataEnd;
      return used;
    case Chunk::DataEnd:  // exactly "\r\n" (or "\n") after the data
      if (data[0] == '\n') {
        line_.clear();
        chunk_ = Chunk::Size;
      } else if (data[0] == '\r' && line_.empty()) {
        line_.assign(1, '\r');  // not = "\r": GCC 12 warns -Wrestrict (a false positive)
      } else {
        fail(400, "Chunk data longer than its size.");
      }
      return 1;
    case Chunk::Trailer:
      return feed_head(data);  // trailer lines share the header limits
  }
  return used;
}

void HttpRequestParser::complete() { state_ = State::Complete; }

HttpRequest HttpRequestParser::take() {
  HttpRequest r = std::move(req_);
  *this = HttpRequestParser(limits_);
  return r;
}

}  // namespace lowbit::server
