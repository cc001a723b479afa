// Noticing that an HTTP client went away while its request is still being
// generated. cpp-httplib (0.11) gives a handler no access to its socket and
// no "connection closed" flag, so the accepted socket is found by its
// endpoints among the process's descriptors, and polled for POLLRDHUP.
#pragma once

#include <string>

namespace lowbit::server {

// The descriptor of this process's TCP socket connected from
// remote_addr:remote_port to local_port, or -1.
int find_connection_fd(int local_port, const std::string& remote_addr, int remote_port);

// True when the peer has closed (or reset) the connection. fd < 0: false.
bool peer_closed(int fd);

// Equal strings, in time that depends only on their lengths.
bool constant_time_equal(const std::string& a, const std::string& b);

}  // namespace lowbit::server
