// Server request bodies: any byte string either parses into a request or
// throws ApiError with a 4xx status; nothing else may escape, and the
// error renders as JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/api_error.hpp"
#include "server/completion_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto endpoint : {lowbit::server::Endpoint::Chat, lowbit::server::Endpoint::Completion}) {
    try {
      const auto r = lowbit::server::parse_completion_request(body, endpoint, {});
      if (r.max_tokens < 1 || r.stop.size() > 4) std::abort();
    } catch (const lowbit::server::ApiError& e) {
      if (e.status < 400 || e.status >= 500) std::abort();
      (void)e.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return 0;
}
