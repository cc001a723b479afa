// A producer thread feeding text pieces to a Python iterator: the thread
// runs `job(sink)`; sink(piece) queues the piece and returns false once the
// stream is cancelled. The producer runs at most kMaxAhead pieces ahead of
// the consumer, so an iterator that is no longer advanced (break, an
// exception) also stops the producer. next() waits with the GIL released,
// in short slices so that Ctrl-C (a pending KeyboardInterrupt) cancels the
// stream and propagates.
#pragma once

#include <pybind11/pybind11.h>

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace lowbit::py {

class TextStream {
 public:
  using Sink = std::function<bool(std::string_view)>;
  static constexpr size_t kMaxAhead = 4;

  explicit TextStream(std::function<void(const Sink&)> job);
  ~TextStream() { stop(); }
  TextStream(const TextStream&) = delete;
  TextStream& operator=(const TextStream&) = delete;

  // The next piece as a str; raises StopIteration at the end, the job's
  // exception if it failed, KeyboardInterrupt on Ctrl-C (after cancelling).
  pybind11::object next();
  // Cancels (the sink refuses further pieces) and waits for the producer.
  // Call with the GIL held.
  void stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> pieces_;
  bool done_ = false, cancel_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

// Bytes as a Python str; invalid UTF-8 becomes U+FFFD instead of an error.
pybind11::str to_str(std::string_view s);

}  // namespace lowbit::py
