#include "cli/model_options.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "cli/console.hpp"
#include "core/error.hpp"
#include "core/timer.hpp"

namespace lowbit::cli {

namespace {
constexpr const char* kDefaultModel = "models/shakespeare-b158.gguf";

// Any seed a run prints (0 to 2^64 - 1), or a negative number for a random one.
uint64_t parse_seed(const std::string& v) {
  try {
    size_t used = 0;
    if (!v.empty() && v[0] == '-') {
      const int64_t n = std::stoll(v, &used);
      if (used == v.size() && n < 0) return random_seed();
    } else {
      const uint64_t n = std::stoull(v, &used);
      if (used == v.size()) return n;
    }
  } catch (const std::exception&) {}
  throw CLI::ValidationError("--seed", "must be -1 (random) or 0 to 18446744073709551615, got " + v);
}
}  // namespace

std::string default_model_path() {
  if (std::filesystem::exists(kDefaultModel)) return kDefaultModel;
  return std::string(LOWBIT_SOURCE_DIR) + "/" + kDefaultModel;
}

void add_model_options(CLI::App& sub, ModelOptions& o) {
  sub.add_option("-m,--model", o.model, "model file (GGUF)")->default_str(std::string("bundled ") + kDefaultModel);
  add_threads_option(sub, o.threads);
  sub.add_option("-c,--ctx-size", o.n_ctx, "context length, at most the model's")
      ->check(in_range(1, 1 << 20))
      ->default_str("the model's");
  sub.add_flag("--int8", o.int8, "run float projections through LLM.int8 (Int8Linear)");
  sub.add_option("--int8-threshold", o.int8_threshold, "LLM.int8 outlier threshold (0 = no decomposition)")
      ->check(in_range(0.0, 1e6));
  sub.add_option("--head-type", o.head_type,
                 "run the output head as f16|q8_0|q6_k|q4_0 (quantized at load; default: the file's type)");
  sub.add_option("--exact-greedy", o.exact_greedy,
                 "re-score the K best rows of a low-bit head with the f16 rows (greedy = the f16 model's tokens)")
      ->check(in_range(1, 1 << 20));
}

void add_sampling_options(CLI::App& sub, SamplerParams& p) {
  sub.add_option("--temp", p.temperature, "temperature (0 = greedy)")->check(in_range(0.0, 100.0));
  sub.add_option("--top-k", p.top_k, "top-k (0 = off)")->check(in_range(0, 1 << 30));
  sub.add_option("--top-p", p.top_p, "top-p / nucleus (1 = off)")->check(in_range(0.0, 1.0));
  sub.add_option("--min-p", p.min_p, "min-p (0 = off)")->check(in_range(0.0, 1.0));
  sub.add_option("--repeat-penalty", p.repeat_penalty, "repetition penalty (1 = off)")->check(in_range(0.0, 10.0));
  sub.add_option("--repeat-last-n", p.repeat_last_n, "tokens the penalties look back over (-1 = all, 0 = off)")
      ->check(in_range(-1, 1 << 20));
  sub.add_option("--presence-penalty", p.presence_penalty, "subtracted once from every token seen (0 = off)")
      ->check(in_range(-2.0, 2.0));
  sub.add_option("--frequency-penalty", p.frequency_penalty, "subtracted per occurrence of a token seen (0 = off)")
      ->check(in_range(-2.0, 2.0));
  // No --seed is a random seed too (as llama.cpp); --verbose prints it.
  p.seed = random_seed();
  sub.add_option_function<std::string>(
         "-s,--seed", [&p](const std::string& v) { p.seed = parse_seed(v); },
         "random seed (-1 = random; --verbose prints the one used)")
      ->type_name("INT")
      ->default_str("-1");
}

LoadedModel open_model(const ModelOptions& o) {
  apply_threads(o.threads);
  const std::string path = o.model.empty() ? default_model_path() : o.model;
  ModelLoadOptions lo;
  lo.int8 = o.int8;
  lo.int8_threshold = o.int8_threshold;
  if (!o.head_type.empty())
    lo.head_type = &require_format_with(o.head_type, &FormatTraits::head_capable, "--head-type");
  lo.exact_greedy_k = o.exact_greedy;
  Timer t;
  LoadedModel m = load_gguf_model(path, lo);
  log_info("lowbit: loaded {} in {:.2f} s\n{}", path, t.seconds(), m.model->summary());
  // Checked here, before any command starts work with it.
  LOWBIT_CHECK(o.n_ctx <= m.config.n_ctx_train, "-c {} is more than the model's context of {} tokens ({})", o.n_ctx,
               m.config.n_ctx_train, path);
  return m;
}

int64_t context_length(const ModelOptions& o, const LoadedModel& m) {
  return o.n_ctx > 0 ? o.n_ctx : m.config.n_ctx_train;
}

void log_sampling(const SamplerParams& p) {
  log_verbose("lowbit: seed {} (temp {}, top-k {}, top-p {}, min-p {}, repeat {} over {}, presence {}, frequency {})",
              p.seed, p.temperature, p.top_k, p.top_p, p.min_p, p.repeat_penalty, p.repeat_last_n, p.presence_penalty,
              p.frequency_penalty);
}

}  // namespace lowbit::cli
