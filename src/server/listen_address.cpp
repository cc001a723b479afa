#include "server/listen_address.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"

namespace lowbit::server {

namespace {

using AddrList = std::unique_ptr<addrinfo, decltype(&freeaddrinfo)>;

AddrList resolve(const std::string& host, int port, bool passive) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = passive ? AI_PASSIVE : 0;
  addrinfo* res = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  LOWBIT_CHECK(rc == 0, "cannot resolve '{}': {}", host, gai_strerror(rc));
  return AddrList(res, freeaddrinfo);
}

bool is_loopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&a)) return a.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace

int open_listen_socket(const std::string& host, int port, int& bound_port) {
  const AddrList addrs = resolve(host, port, true);
  std::string why = "no address";
  for (const addrinfo* a = addrs.get(); a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
      bound_port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(ss).sin6_port
                                                  : reinterpret_cast<sockaddr_in&>(ss).sin_port);
      return fd;
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  throw Error(fmt::format("cannot bind {}: {} (in use, or not an address here?)", http_url(host, port), why));
}

bool is_loopback_host(const std::string& host) {
  if (host.empty()) return false;  // would mean every interface
  try {
    const AddrList addrs = resolve(host, 0, false);
    for (const addrinfo* a = addrs.get(); a; a = a->ai_next)
      if (!is_loopback(a->ai_addr)) return false;
    return true;
  } catch (const Error&) {
    return false;
  }
}

std::string http_url(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? fmt::format("http://[{}]:{}", host, port)
                                             : fmt::format("http://{}:{}", host, port);
}

}  // namespace lowbit::server
