// The server's own HTTP/1.1 connection layer over plain sockets (why not
// cpp-httplib: docs/SERVER.md). One thread polls every connection that is
// between requests or still sending one, with deadlines per phase (idle,
// headers, body) that trickled bytes cannot extend, and a bound on open
// connections (the longest-waiting one that has not sent a whole request is
// dropped first). Only complete, checked requests reach the worker threads,
// so slow or hostile clients cost a socket and a buffer, never a thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http_message.hpp"
#include "server/http_responder.hpp"

namespace lowbit::server {

struct ListenerOptions {
  HttpLimits limits;
  std::chrono::milliseconds idle_timeout{5000};     // keep-alive: no byte of a next request
  std::chrono::milliseconds header_timeout{10000};  // first byte to the end of the headers
  std::chrono::milliseconds body_timeout{30000};    // end of headers to the end of the body
  std::chrono::milliseconds write_timeout{30000};   // one response write that makes no progress
  size_t max_connections = 1024;
  int workers = 16;                                 // requests handled at once
};

// Handles one complete request; must answer it through the responder.
using HttpHandler = std::function<void(const HttpRequest&, HttpResponder&)>;
// The body of an error response the listener sends itself (malformed
// request, limits, deadlines); also where they are counted.
using HttpErrorBody = std::function<std::string(int status, const std::string& message)>;

class HttpListener {
 public:
  HttpListener(ListenerOptions opt, HttpHandler handler, HttpErrorBody error_body);
  ~HttpListener();

  // Binds host:port (port 0: any free one); returns the port. Throws
  // lowbit::Error on failure.
  int bind(const std::string& host, int port);
  // Serves until stop(); returns once the workers have finished.
  void run();
  // Callable from any thread.
  void stop();

 private:
  struct Conn;
  using ConnPtr = std::unique_ptr<Conn>;

  void accept_all();
  void make_room();
  // Feeds what a connection has received; false when it is gone (closed
  // or handed to a worker).
  bool on_readable(Conn& c);
  bool process(ConnPtr& c);
  void reply_error(Conn& c, int status, const std::string& message);
  bool expired(Conn& c, std::chrono::steady_clock::time_point now);
  void take_returned();
  void worker();
  void wake();

  ListenerOptions opt_;
  HttpHandler handler_;
  HttpErrorBody error_body_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::vector<ConnPtr> conns_;  // owned by the polling thread

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<ConnPtr> work_, returned_;
  size_t busy_ = 0;  // connections with a worker
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace lowbit::server
