#include "text_stream.hpp"

#include <chrono>
#include <optional>

namespace lowbit::py {

namespace pb = pybind11;

pb::str to_str(std::string_view s) {
  PyObject* o = PyUnicode_DecodeUTF8(s.data(), Py_ssize_t(s.size()), "replace");
  if (!o) throw pb::error_already_set();
  return pb::reinterpret_steal<pb::str>(o);
}

TextStream::TextStream(std::function<void(const Sink&)> job) {
  worker_ = std::thread([this, job = std::move(job)] {
    const Sink sink = [this](std::string_view s) {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return pieces_.size() < kMaxAhead || cancel_; });
      if (cancel_) return false;
      pieces_.emplace_back(s);
      lock.unlock();
      cv_.notify_all();
      return true;
    };
    std::exception_ptr error;
    try {
      job(sink);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      error_ = error;
      done_ = true;
    }
    cv_.notify_all();
  });
}

pb::object TextStream::next() {
  while (true) {
    std::optional<std::string> piece;
    bool done = false;
    {
      pb::gil_scoped_release nogil;
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return !pieces_.empty() || done_; });
      if (!pieces_.empty()) {
        piece = std::move(pieces_.front());
        pieces_.pop_front();
        cv_.notify_all();  // room in the queue for the producer
      } else {
        done = done_;
      }
    }
    if (piece) return to_str(*piece);
    if (done) break;
    if (PyErr_CheckSignals() != 0) {  // Ctrl-C: cancel, then let KeyboardInterrupt propagate
      stop();
      throw pb::error_already_set();
    }
  }
  stop();
  if (error_) std::rethrow_exception(error_);
  throw pb::stop_iteration();
}

void TextStream::stop() {
  {
    std::lock_guard lock(mu_);
    cancel_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) {
    pb::gil_scoped_release nogil;
    worker_.join();
  }
}

}  // namespace lowbit::py
