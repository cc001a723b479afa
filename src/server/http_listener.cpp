#include "server/http_listener.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/error.hpp"
#include "server/http_request_parser.hpp"
#include "server/listen_address.hpp"

namespace lowbit::server {

namespace {

using Clock = std::chrono::steady_clock;
using State = HttpRequestParser::State;

// After an error response the client may still be sending; its bytes are
// read and dropped for a while, since closing with unread data would reset
// the connection and could destroy the response before the client reads it.
constexpr auto kLinger = std::chrono::milliseconds(2000);
constexpr size_t kLingerBytes = 4 << 20;

void write_now(int fd, const std::string& s) {
  size_t off = 0;
  for (int tries = 0; off < s.size() && tries < 100; ++tries) {
    const ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n > 0) off += size_t(n);
    else if (n < 0 && errno != EAGAIN && errno != EINTR) return;
    else {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 10);
    }
  }
}

}  // namespace

struct HttpListener::Conn {
  Conn(int fd_, const HttpLimits& limits) : fd(fd_), parser(limits) {}
  ~Conn() { ::close(fd); }
  int fd;
  HttpRequestParser parser;
  std::string buf;              // received, not yet parsed (pipelined requests)
  State phase = State::Empty;   // the parser state the deadline was set for
  Clock::time_point since = Clock::now();
  bool continue_sent = false;
  bool lingering = false;       // answered with an error, dropping input until closed
  size_t dropped = 0;
};

HttpListener::HttpListener(ListenerOptions opt, HttpHandler handler, HttpErrorBody error_body)
    : opt_(std::move(opt)), handler_(std::move(handler)), error_body_(std::move(error_body)) {
  LOWBIT_CHECK(::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) == 0, "cannot create a pipe");
}

HttpListener::~HttpListener() {
  stop();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  for (int fd : {listen_fd_, wake_[0], wake_[1]})
    if (fd >= 0) ::close(fd);
}

int HttpListener::bind(const std::string& host, int port) {
  int bound = 0;
  listen_fd_ = open_listen_socket(host, port, bound);
  return bound;
}

void HttpListener::wake() {
  const char c = 1;
  [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
}

void HttpListener::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  wake();
}

void HttpListener::reply_error(Conn& c, int status, const std::string& message) {
  const std::string body = error_body_(status, message);
  // A small response fits the socket buffer: write it without waiting.
  write_now(c.fd, "HTTP/1.1 " + std::to_string(status) + " " + status_reason(status) +
                      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                      (status == 503 ? "\r\nRetry-After: 1" : "") + "\r\nConnection: close\r\n\r\n" + body);
  ::shutdown(c.fd, SHUT_WR);
  c.lingering = true;
  c.since = Clock::now();
}

void HttpListener::make_room() {
  // Drop the connection that has waited longest without a whole request.
  auto oldest = std::min_element(conns_.begin(), conns_.end(), [](const ConnPtr& a, const ConnPtr& b) {
    return a->since < b->since;
  });
  if (oldest != conns_.end()) conns_.erase(oldest);
}

void HttpListener::accept_all() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    size_t busy;
    {
      std::lock_guard lock(mu_);
      busy = busy_;
    }
    if (conns_.size() + busy >= opt_.max_connections) make_room();
    if (conns_.size() + busy >= opt_.max_connections) {  // every one is being served
      write_now(fd, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      ::close(fd);
      continue;
    }
    conns_.push_back(std::make_unique<Conn>(fd, opt_.limits));
  }
}

bool HttpListener::on_readable(Conn& c) {
  char buf[65536];
  const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  if (n == 0) return false;  // closed (or half-closed) before a whole request
  if (c.lingering) {
    c.dropped += size_t(n);
    return c.dropped < kLingerBytes;
  }
  c.buf.append(buf, size_t(n));
  return true;
}

bool HttpListener::process(ConnPtr& c) {
  while (!c->lingering && !c->buf.empty()) {
    const size_t used = c->parser.feed(c->buf);
    c->buf.erase(0, used);
    const State s = c->parser.state();
    if (s == State::Error) {
      reply_error(*c, c->parser.error_status(), c->parser.error_message());
      return true;
    }
    if (s != c->phase) {  // a new phase starts its own deadline
      c->phase = s;
      c->since = Clock::now();
    }
    if (c->parser.expects_continue() && !c->continue_sent) {
      c->continue_sent = true;
      write_now(c->fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (s == State::Complete) {
      {
        std::lock_guard lock(mu_);
        ++busy_;
        work_.push_back(std::move(c));
      }
      cv_.notify_one();
      return false;
    }
  }
  return true;
}

bool HttpListener::expired(Conn& c, Clock::time_point now) {
  const auto limit = c.lingering            ? kLinger
                     : c.phase == State::Empty ? opt_.idle_timeout
                     : c.phase == State::Head  ? opt_.header_timeout
                                               : opt_.body_timeout;
  if (now - c.since < limit) return false;
  if (c.lingering || c.phase == State::Empty) return true;
  reply_error(c, 408, c.phase == State::Head ? "The request headers took too long to arrive."
                                             : "The request body took too long to arrive.");
  return false;
}

void HttpListener::take_returned() {
  char drain[256];
  while (::read(wake_[0], drain, sizeof drain) > 0) {
  }
  std::deque<ConnPtr> back;
  {
    std::lock_guard lock(mu_);
    back.swap(returned_);
  }
  for (auto& c : back) {
    c->phase = State::Empty;
    c->since = Clock::now();
    c->continue_sent = false;
    if (process(c)) conns_.push_back(std::move(c));  // else: a pipelined request went to a worker
  }
}

void HttpListener::run() {
  for (int i = 0; i < std::max(opt_.workers, 1); ++i) workers_.emplace_back([this] { worker(); });
  std::vector<pollfd> fds;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    take_returned();
    const auto now = Clock::now();
    std::erase_if(conns_, [&](ConnPtr& c) { return expired(*c, now); });
    fds.assign({{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}});
    for (auto& c : conns_) fds.push_back({c->fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 100) < 0 && errno != EINTR) break;
    // Connections first (their indices match fds[2..]), then new ones.
    std::vector<ConnPtr> keep;
    for (size_t i = 0; i < conns_.size(); ++i) {
      ConnPtr& c = conns_[i];
      const short ev = fds[i + 2].revents;
      if (ev && !(on_readable(*c) && process(c))) continue;  // closed, or with a worker
      if (c) keep.push_back(std::move(c));
    }
    conns_.swap(keep);
    if (fds[0].revents & POLLIN) accept_all();
  }
  conns_.clear();
  for (auto& t : workers_) t.join();
  workers_.clear();
  std::lock_guard lock(mu_);
  returned_.clear();
}

void HttpListener::worker() {
  for (;;) {
    ConnPtr c;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !work_.empty(); });
      if (work_.empty()) return;  // stopping, nothing left to answer
      c = std::move(work_.front());
      work_.pop_front();
    }
    const HttpRequest req = c->parser.take();
    HttpResponder r(c->fd, req.minor_version, req.keep_alive, opt_.write_timeout);
    try {
      handler_(req, r);
    } catch (...) {
    }
    if (!r.started()) r.send(500, "application/json", error_body_(500, "The request was not answered."));
    std::lock_guard lock(mu_);
    --busy_;
    if (r.reusable() && !stop_) {
      returned_.push_back(std::move(c));
      wake();
    }
  }
}

}  // namespace lowbit::server
