// HttpResponder on a real loopback connection: the bytes of a response and
// a stream, and telling a half-closed client (still reading) from one that
// closed its socket.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "server/http_responder.hpp"

namespace lowbit::server {
namespace {

using std::chrono::milliseconds;

// A connected pair: `client` and the accepted, non-blocking `server`.
struct Connection {
  Connection() {
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listener, 1);
    socklen_t len = sizeof a;
    getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
    client = socket(AF_INET, SOCK_STREAM, 0);
    connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a);
    server = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
    close(listener);
  }
  ~Connection() {
    if (client >= 0) close(client);
    close(server);
  }
  std::string read_client() {
    std::string out;
    char buf[4096];
    timeval tv{0, 200000};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (ssize_t n; (n = recv(client, buf, sizeof buf, 0)) > 0;) out.append(buf, size_t(n));
    return out;
  }
  int client = -1, server = -1;
};

TEST(HttpResponder, WholeResponse) {
  Connection c;
  HttpResponder r(c.server, 1, true, milliseconds(1000));
  r.header("Retry-After", "1");
  ASSERT_TRUE(r.send(503, "application/json", "{}"));
  EXPECT_EQ(c.read_client(),
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
            "Retry-After: 1\r\n\r\n{}");
  EXPECT_TRUE(r.reusable());
}

TEST(HttpResponder, ChunkedStreamAndHttp10Stream) {
  {
    Connection c;
    HttpResponder r(c.server, 1, true, milliseconds(1000));
    ASSERT_TRUE(r.start_stream(200, "text/event-stream"));
    ASSERT_TRUE(r.write("data: x\n\n"));
    ASSERT_TRUE(r.end());
    EXPECT_EQ(c.read_client(),
              "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
              "9\r\ndata: x\n\n\r\n0\r\n\r\n");
  }
  Connection c;
  HttpResponder r(c.server, 0, true, milliseconds(1000));
  ASSERT_TRUE(r.start_stream(200, "text/event-stream"));
  ASSERT_TRUE(r.write("abc"));
  ASSERT_TRUE(r.end());
  EXPECT_EQ(c.read_client(), "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\nabc");
  EXPECT_FALSE(r.reusable());  // HTTP/1.0: the close ends the body
}

TEST(HttpResponder, HalfClosedClientIsNotGoneAndGetsTheResponse) {
  Connection c;
  HttpResponder r(c.server, 1, true, milliseconds(1000));
  EXPECT_FALSE(r.peer_gone());
  shutdown(c.client, SHUT_WR);
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(r.peer_gone());
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_TRUE(r.send(200, "application/json", "{}"));
  const std::string got = c.read_client();
  EXPECT_EQ(got.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
}

TEST(HttpResponder, ClosedClientIsGone) {
  Connection c;
  HttpResponder r(c.server, 1, true, milliseconds(1000));
  close(c.client);
  c.client = -1;
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    gone = r.peer_gone();
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(gone);
}

}  // namespace
}  // namespace lowbit::server
