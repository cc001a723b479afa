// Constrained output: the time to find the tokens a grammar allows next
// (grammar::TokenFilter), once per generated token of a constrained
// request, with the LLaMA-3 vocabulary (128k tokens) and with the bundled
// model's (1,024). Three states of a JSON-schema grammar: at the start (one
// byte allowed: most prefixes die at once), inside a string value (almost
// every token allowed: the worst case), and in an integer.
#include <benchmark/benchmark.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "bench_util.hpp"
#include "grammar/json_schema.hpp"
#include "grammar/token_filter.hpp"
#include "io/data_dir.hpp"
#include "model/gguf_model.hpp"

namespace {

using namespace lowbit;

const Tokenizer* bundled() {
  static const std::unique_ptr<Tokenizer> tok = [] {
    const std::string p = find_data_file("../models/shakespeare-b158.gguf");
    if (p.empty()) return std::unique_ptr<Tokenizer>();
    return std::move(load_gguf_model(p).tokenizer);
  }();
  return tok.get();
}

std::shared_ptr<const grammar::CompiledGrammar> person_grammar() {
  static const auto g = std::make_shared<
      const grammar::CompiledGrammar>(grammar::parse_gbnf(grammar::json_schema_to_gbnf(nlohmann::ordered_json::parse(
      R"({"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]})"))));
  return g;
}

void run_filter(benchmark::State& state, const Tokenizer* tok, const char* prefix) {
  if (!tok) return state.SkipWithError("vocabulary not found (set LOWBIT_DATA_DIR)");
  const grammar::TokenVocabulary vocab(*tok);
  grammar::Matcher m(person_grammar());
  if (!m.accept(prefix)) return state.SkipWithError("prefix rejected");
  grammar::TokenFilter filter;
  std::vector<uint8_t> allowed;
  size_t n_allowed = 0;
  for (auto _ : state) {
    filter.allowed(m, vocab, allowed);
    benchmark::DoNotOptimize(allowed.data());
  }
  for (uint8_t a : allowed) n_allowed += a;
  state.counters["allowed"] = double(n_allowed);
}

void BM_FilterLlama3Start(benchmark::State& s) { run_filter(s, bench::llama3_tokenizer(), ""); }
void BM_FilterLlama3String(benchmark::State& s) { run_filter(s, bench::llama3_tokenizer(), R"({"name": "Ro)"); }
void BM_FilterLlama3Integer(benchmark::State& s) {
  run_filter(s, bench::llama3_tokenizer(), R"({"name": "x", "age": 1)");
}
void BM_FilterBundledString(benchmark::State& s) { run_filter(s, bundled(), R"({"name": "Ro)"); }

BENCHMARK(BM_FilterLlama3Start)->Name("grammar/filter/llama3/start")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FilterLlama3String)->Name("grammar/filter/llama3/in_string")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FilterLlama3Integer)->Name("grammar/filter/llama3/in_integer")->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_FilterBundledString)->Name("grammar/filter/bundled/in_string")->Unit(benchmark::kMicrosecond);

}  // namespace
