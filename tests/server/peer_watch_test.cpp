// Finding a connection's socket by its endpoints, noticing its peer hang up,
// and the API key comparison.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/peer_watch.hpp"

namespace lowbit::server {
namespace {

TEST(PeerWatch, FindsAcceptedSocketAndSeesPeerClose) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof a;
  getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  const int server = accept(listener, nullptr, nullptr);
  ASSERT_GE(server, 0);
  sockaddr_in c{};
  len = sizeof c;
  getsockname(client, reinterpret_cast<sockaddr*>(&c), &len);

  EXPECT_EQ(find_connection_fd(ntohs(a.sin_port), "127.0.0.1", ntohs(c.sin_port)), server);
  EXPECT_EQ(find_connection_fd(ntohs(a.sin_port), "127.0.0.1", ntohs(c.sin_port) + 1 == 0 ? 1 : 0), -1);
  EXPECT_FALSE(peer_closed(server));
  close(client);
  EXPECT_TRUE(peer_closed(server));
  EXPECT_FALSE(peer_closed(-1));
  close(server);
  close(listener);
}

TEST(PeerWatch, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("Bearer abc", "Bearer abc"));
  EXPECT_FALSE(constant_time_equal("Bearer abd", "Bearer abc"));
  EXPECT_FALSE(constant_time_equal("Bearer ab", "Bearer abc"));
  EXPECT_FALSE(constant_time_equal("Bearer abcd", "Bearer abc"));
  EXPECT_FALSE(constant_time_equal("", "Bearer abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace lowbit::server
