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
  using lowbit::server::Endpoint;
  for (auto endpoint : {Endpoint::Chat, Endpoint::Completion, Endpoint::Native}) {
    try {
      const auto r = lowbit::server::parse_completion_request(body, endpoint, {});
      // n_predict 0 (native) asks for no tokens; the OpenAI endpoints need one.
      if (r.max_tokens < (endpoint == Endpoint::Native ? 0 : 1) || r.stop.size() > 4) std::abort();
    } catch (const lowbit::server::ApiError& e) {
      if (e.status < 400 || e.status >= 500) std::abort();
      (void)e.to_json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return 0;
}
