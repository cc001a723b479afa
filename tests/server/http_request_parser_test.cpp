// The HTTP/1.1 request parser against hand-written requests and the
// outcomes RFC 9110/9112 require of them.
#include <gtest/gtest.h>

#include "server/http_request_parser.hpp"

namespace lowbit::server {
namespace {

using State = HttpRequestParser::State;

HttpLimits small_limits() {
  HttpLimits l;
  l.max_header_bytes = 1024;
  l.max_headers = 8;
  l.max_body_bytes = 100;
  return l;
}

// Feeds all of `text` at once; the parser's state after it.
struct Parsed {
  State state;
  int status;
  size_t used;
  HttpRequest req;
};
Parsed parse(const std::string& text, HttpLimits limits = small_limits()) {
  HttpRequestParser p(limits);
  const size_t used = p.feed(text);
  Parsed r{p.state(), p.error_status(), used, {}};
  if (p.state() == State::Complete) r.req = p.take();
  return r;
}

TEST(HttpRequestParser, SimpleGet) {
  const Parsed p = parse("GET /v1/models?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  spaced value \r\n\r\n");
  ASSERT_EQ(p.state, State::Complete);
  EXPECT_EQ(p.req.method, "GET");
  EXPECT_EQ(p.req.target, "/v1/models?x=1");
  EXPECT_EQ(p.req.path, "/v1/models");
  ASSERT_NE(p.req.header("x-thing"), nullptr);
  EXPECT_EQ(*p.req.header("x-thing"), "spaced value");
  EXPECT_TRUE(p.req.keep_alive);
  EXPECT_TRUE(p.req.body.empty());
}

TEST(HttpRequestParser, ByteByByteEqualsAllAtOnce) {
  const std::string text = "POST /p HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello";
  HttpRequestParser p(small_limits());
  for (char c : text) ASSERT_EQ(p.feed(std::string_view(&c, 1)), 1u);
  ASSERT_EQ(p.state(), State::Complete);
  const HttpRequest r = p.take();
  EXPECT_EQ(r.body, "hello");
  EXPECT_FALSE(r.keep_alive);
  EXPECT_EQ(p.state(), State::Empty);  // ready for the next one
}

TEST(HttpRequestParser, StopsAtTheEndOfAPipelinedRequest) {
  const std::string first = "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nab";
  const Parsed p = parse(first + "GET /b HTTP/1.1\r\n\r\n");
  EXPECT_EQ(p.state, State::Complete);
  EXPECT_EQ(p.used, first.size());
  EXPECT_EQ(p.req.body, "ab");
}

TEST(HttpRequestParser, ChunkedBodyWithExtensionsAndTrailers) {
  const Parsed p = parse("POST /p HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n5;name=v\r\nhello\r\n6\r\n world\r\n"
                         "0\r\nX-Trailer: t\r\n\r\n");
  ASSERT_EQ(p.state, State::Complete);
  EXPECT_EQ(p.req.body, "hello world");
}

TEST(HttpRequestParser, ChunkedBodyPastTheLimitFailsAtTheSizeLine) {
  HttpRequestParser p(small_limits());
  p.feed("POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n32\r\n" + std::string(50, 'a') + "\r\n");
  EXPECT_EQ(p.state(), State::Body);
  p.feed("33\r\n");  // 50 + 51 > 100: refused before any of its data
  EXPECT_EQ(p.state(), State::Error);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(HttpRequestParser, MalformedChunks) {
  for (const std::string body : {"zz\r\n", "5\r\nhelloX\r\n", "-1\r\n", "1234567890abcdef0\r\n"}) {
    const Parsed p = parse("POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
    EXPECT_EQ(p.state, State::Error) << body;
    EXPECT_EQ(p.status, 400) << body;
  }
}

TEST(HttpRequestParser, ContentLengthRules) {
  const std::string head = "POST /p HTTP/1.1\r\n";
  EXPECT_EQ(parse(head + "Content-Length: 3, 3\r\n\r\nabc").state, State::Complete);
  EXPECT_EQ(parse(head + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc").state, State::Complete);
  for (const std::string bad : {"Content-Length: 3\r\nContent-Length: 4\r\n", "Content-Length: 3, 4\r\n",
                                "Content-Length: -5\r\n", "Content-Length: 1e18\r\n", "Content-Length: +3\r\n",
                                "Content-Length: 0x3\r\n", "Content-Length:\r\n",
                                "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"}) {
    const Parsed p = parse(head + bad + "\r\nabc");
    EXPECT_EQ(p.status, 400) << bad;
  }
  EXPECT_EQ(parse(head + "Content-Length: 101\r\n\r\n").status, 413);
  EXPECT_EQ(parse(head + "Content-Length: 99999999999999999999999\r\n\r\n").status, 413);
  EXPECT_EQ(parse(head + "Transfer-Encoding: gzip\r\n\r\n").status, 501);
  EXPECT_EQ(parse("POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").status, 400);
}

TEST(HttpRequestParser, HeaderLimitsAre431) {
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 9; ++i) many.append("A").append(std::to_string(i)).append(": v\r\n");
  EXPECT_EQ(parse(many + "\r\n").status, 431);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nBig: " + std::string(1100, 'b') + "\r\n\r\n").status, 431);
  EXPECT_EQ(parse("GET /" + std::string(1100, 'u') + " HTTP/1.1\r\n\r\n").status, 414);
  // Trailers count against the same budget.
  std::string trailers = "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  for (int i = 0; i < 9; ++i) trailers.append("T").append(std::to_string(i)).append(": v\r\n");
  EXPECT_EQ(parse(trailers + "\r\n").status, 431);
}

TEST(HttpRequestParser, MalformedHeads) {
  EXPECT_EQ(parse("GET / HTTP/2.0\r\n\r\n").status, 505);
  EXPECT_EQ(parse("GET /\r\n\r\n").status, 400);
  EXPECT_EQ(parse("G(T / HTTP/1.1\r\n\r\n").status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nNo colon\r\n\r\n").status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nName : v\r\n\r\n").status, 400);
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nA: b\r\n  folded\r\n\r\n").status, 400);
}

TEST(HttpRequestParser, NulInAValueBecomesASpace) {
  static const char raw[] = "GET / HTTP/1.1\r\nAuthorization: Bearer k\0x\r\n\r\n";
  const Parsed p = parse(std::string(raw, sizeof raw - 1));
  ASSERT_EQ(p.state, State::Complete);
  EXPECT_EQ(*p.req.header("authorization"), "Bearer k x");
}

TEST(HttpRequestParser, Http10KeepsAliveOnlyWhenAsked) {
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").req.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").req.keep_alive);
  EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n").req.minor_version, 0);
}

TEST(HttpRequestParser, ExpectContinueIsReported) {
  HttpRequestParser p(small_limits());
  p.feed("POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  EXPECT_TRUE(p.expects_continue());
  p.feed("ok");
  EXPECT_EQ(p.state(), State::Complete);
}

}  // namespace
}  // namespace lowbit::server
