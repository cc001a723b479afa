// The server's API key: where it comes from (a file or the environment, so
// it stays out of `ps`), and checking a client's Authorization header
// against it byte for byte in constant time.
#pragma once

#include <string>

namespace lowbit::server {

// Equal length and bytes; the time taken does not depend on where the
// first difference is.
bool constant_time_equal(const std::string& a, const std::string& b);

// True when `authorization` (the raw header value, or nullptr) is exactly
// "Bearer <key>".
bool bearer_matches(const std::string* authorization, const std::string& key);

// The key in `path`: its first line, without the line ending. Throws
// lowbit::Error when the file cannot be read or holds no key.
std::string read_api_key_file(const std::string& path);

// Overwrites `secret` wherever it occurs in this process's command line
// (/proc/PID/cmdline), for keys given with --api-key.
void scrub_from_command_line(const std::string& secret);

}  // namespace lowbit::server
