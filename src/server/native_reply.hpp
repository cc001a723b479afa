// llama-server's JSON shapes, for its clients: POST /completion's answer
// and stream chunks, the generation settings that /props and /slots show,
// and its timings block.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/sampler.hpp"
#include "server/generation_job.hpp"

namespace lowbit::server {

inline nlohmann::json generation_settings_json(const SamplerParams& p, int64_t n_predict,
                                               const std::vector<std::string>& stop, bool ignore_eos,
                                               const std::string& grammar) {
  return {{"n_predict", n_predict},
          {"seed", p.seed},
          {"temperature", p.temperature},
          {"top_k", p.top_k},
          {"top_p", p.top_p},
          {"min_p", p.min_p},
          {"repeat_penalty", p.repeat_penalty},
          {"repeat_last_n", p.repeat_last_n},
          {"presence_penalty", p.presence_penalty},
          {"frequency_penalty", p.frequency_penalty},
          {"stop", stop},
          {"ignore_eos", ignore_eos},
          {"grammar", grammar}};
}

inline nlohmann::json timings_json(const JobOutcome& o) {
  const double prompt_ms = std::max(0.0, o.first_token_seconds - o.queue_seconds) * 1000;
  const double predicted_ms = std::max(0.0, o.total_seconds - o.first_token_seconds) * 1000;
  auto per_token = [](double ms, int64_t n) { return n > 0 ? ms / double(n) : 0.0; };
  auto per_second = [](double ms, int64_t n) { return ms > 0 ? 1000.0 * double(n) / ms : 0.0; };
  return {{"prompt_n", o.n_prompt_evaluated},
          {"prompt_ms", prompt_ms},
          {"prompt_per_token_ms", per_token(prompt_ms, o.n_prompt_evaluated)},
          {"prompt_per_second", per_second(prompt_ms, o.n_prompt_evaluated)},
          {"predicted_n", o.n_generated},
          {"predicted_ms", predicted_ms},
          {"predicted_per_token_ms", per_token(predicted_ms, o.n_generated)},
          {"predicted_per_second", per_second(predicted_ms, o.n_generated)}};
}

// A stream chunk of new text (llama-server: "stop": false until the last).
inline nlohmann::json native_chunk(const std::string& text) {
  return {{"index", 0}, {"content", text}, {"tokens", nlohmann::json::array()}, {"stop", false}, {"id_slot", -1}};
}

// The whole answer, or (with the text of the last chunk) the final chunk.
inline nlohmann::json native_final(const std::string& text, const JobOutcome& o, const std::string& model,
                                   const nlohmann::json& settings) {
  return {{"index", 0},
          {"content", text},
          {"tokens", nlohmann::json::array()},
          {"id_slot", o.slot},
          {"stop", true},
          {"model", model},
          {"tokens_predicted", o.n_generated},
          {"tokens_evaluated", o.n_prompt},
          {"tokens_cached", o.n_prompt + o.n_generated},
          {"generation_settings", settings},
          {"has_new_line", text.find('\n') != std::string::npos},
          {"truncated", false},
          {"stop_type", o.stop_type},
          {"stopping_word", o.stopping_word},
          {"timings", timings_json(o)}};
}

}  // namespace lowbit::server
