#include "model/generation_step.hpp"

#include <algorithm>

namespace lowbit {

std::string_view finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::None: return "";
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
    case FinishReason::Cancelled: return "cancelled";
    case FinishReason::Error: return "error";
  }
  return "";
}

size_t stop_string_split(std::string_view pending, const std::vector<std::string>& stop, size_t& printable) {
  size_t first = std::string_view::npos;
  for (const std::string& s : stop)
    if (!s.empty()) first = std::min(first, pending.find(s));
  if (first != std::string_view::npos) {
    printable = first;
    return first;
  }
  // Hold back the longest suffix that is a proper prefix of a stop string.
  size_t hold = 0;
  for (const std::string& s : stop)
    for (size_t k = std::min(s.size() - 1, pending.size()); k > hold; --k)
      if (pending.substr(pending.size() - k) == std::string_view(s).substr(0, k)) {
        hold = k;
        break;
      }
  printable = pending.size() - hold;
  return std::string_view::npos;
}

GenerationStep::GenerationStep(const Tokenizer& tok, std::vector<std::string> stop, int64_t limit)
    : tok_(tok), stop_(std::move(stop)), limit_(std::max<int64_t>(limit, 0)), decoder_(tok, /*skip_special=*/true) {}

GenerationStep::Result GenerationStep::accept(int32_t id) {
  Result r;
  if (tok_.is_eog(id)) {
    r.text = flush();  // held back for a stop string that did not come
    r.finish = FinishReason::Stop;
    return r;
  }
  ++n_generated_;
  pending_ += decoder_.push(id);
  size_t printable = 0;
  const bool stopped = stop_string_split(pending_, stop_, printable) != std::string_view::npos;
  r.text = pending_.substr(0, printable);
  if (stopped) {
    for (const std::string& s : stop_)
      if (!s.empty() && std::string_view(pending_).substr(printable).starts_with(s)) {
        stop_found_ = s;
        break;
      }
    pending_.clear();
    r.finish = FinishReason::Stop;
    return r;
  }
  pending_.erase(0, printable);
  if (n_generated_ >= limit_) {
    r.text += flush();
    r.finish = FinishReason::Length;
  }
  return r;
}

std::string GenerationStep::flush() {
  std::string out = std::move(pending_) + decoder_.finish();
  pending_.clear();
  return out;
}

}  // namespace lowbit
