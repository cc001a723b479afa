#include "cli/model_options.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "core/timer.hpp"

namespace lowbit::cli {

namespace {
constexpr const char* kDefaultModel = "models/shakespeare-b158.gguf";
}

std::string default_model_path() {
  if (std::filesystem::exists(kDefaultModel)) return kDefaultModel;
  return std::string(LOWBIT_SOURCE_DIR) + "/" + kDefaultModel;
}

void add_model_options(CLI::App& sub, ModelOptions& o) {
  sub.add_option("-m,--model", o.model, "model file (GGUF); default: the bundled " + std::string(kDefaultModel));
  add_threads_option(sub, o.threads);
  sub.add_option("-c,--ctx-size", o.n_ctx, "context length (default: the model's)")->check(CLI::Range(1, 1 << 20));
  sub.add_flag("--int8", o.int8, "run float projections through LLM.int8 (Int8Linear)");
  sub.add_option("--int8-threshold", o.int8_threshold, "LLM.int8 outlier threshold (0 = no decomposition)")
      ->check(CLI::Range(0.0f, 1e6f));
  sub.add_option("--head-type", o.head_type,
                 "run the output head as f16|q8_0|q6_k|q4_0 (quantized at load; default: the file's type)");
  sub.add_option("--exact-greedy", o.exact_greedy,
                 "re-score the K best rows of a low-bit head with the f16 rows (greedy = the f16 model's tokens)")
      ->check(CLI::Range(1, 1 << 20));
}

void add_sampling_options(CLI::App& sub, SamplerParams& p) {
  sub.add_option("--temp", p.temperature, "temperature (0 = greedy)")->check(CLI::Range(0.0f, 100.0f));
  sub.add_option("--top-k", p.top_k, "top-k (0 = off)")->check(CLI::Range(0, 1 << 30));
  sub.add_option("--top-p", p.top_p, "top-p / nucleus (1 = off)")->check(CLI::Range(0.0f, 1.0f));
  sub.add_option("--min-p", p.min_p, "min-p (0 = off)")->check(CLI::Range(0.0f, 1.0f));
  sub.add_option("--repeat-penalty", p.repeat_penalty, "repetition penalty (1 = off)")->check(CLI::Range(0.0f, 10.0f));
  sub.add_option("--repeat-last-n", p.repeat_last_n, "tokens the penalty looks back over")
      ->check(CLI::Range(0, 1 << 20));
  sub.add_option("-s,--seed", p.seed, "random seed");
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
  fmt::print(stderr, "lowbit: loaded {} in {:.2f} s\n{}\n", path, t.seconds(), m.model->summary());
  return m;
}

int64_t context_length(const ModelOptions& o, const LoadedModel& m) {
  return o.n_ctx > 0 ? o.n_ctx : m.config.n_ctx_train;
}

}  // namespace lowbit::cli
