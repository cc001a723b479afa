// Listening sockets by host name or address literal (IPv4 or IPv6), and
// what a host means for the user: its URL, and whether only this machine
// can reach it.
#pragma once

#include <string>

namespace lowbit::server {

// A non-blocking listening socket on host:port (port 0: any free one);
// `bound_port` gets the port. Throws lowbit::Error on failure.
int open_listen_socket(const std::string& host, int port, int& bound_port);

// True when every address `host` resolves to is a loopback one
// (127.0.0.0/8, ::1, "localhost").
bool is_loopback_host(const std::string& host);

// "http://127.0.0.1:8080", "http://[::1]:8080".
std::string http_url(const std::string& host, int port);

}  // namespace lowbit::server
