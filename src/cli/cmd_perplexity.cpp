// `lowbit perplexity`: exp(mean negative log-likelihood) of a text file,
// scored in windows of -c tokens; within each window the first half only
// provides context and the second half is scored, and the first token is
// replaced by BOS (llama.cpp's conventions, so the figures compare). The
// window defaults to the model's context, as in llama-perplexity (its
// context is -c, else the model's); published llama.cpp figures mostly use
// -c 512, so pass -c to compare with them.
#include <cmath>
#include <cstdio>

#include <fmt/format.h>

#include "cli/console.hpp"
#include "cli/model_options.hpp"
#include "core/timer.hpp"
#include "io/file_util.hpp"

namespace lowbit::cli {
namespace {

struct PplArgs {
  ModelOptions model;
  std::string file;
  int max_chunks = 0;
};

void run(const PplArgs& a) {
  LoadedModel m = open_model(a.model);
  const std::string text = read_file(a.file);
  const std::vector<int32_t> tokens = m.tokenizer->encode(text, false, false);
  const int64_t n_ctx = context_length(a.model, m);
  LOWBIT_CHECK(n_ctx >= 4, "-c {} is too small for perplexity: the second half of each window is scored", n_ctx);
  LOWBIT_CHECK(int64_t(tokens.size()) >= n_ctx, "{}: {} tokens, too few for one window of {} (lower -c)", a.file,
               tokens.size(), n_ctx);
  int64_t n_chunks = int64_t(tokens.size()) / n_ctx;
  if (a.max_chunks > 0) n_chunks = std::min<int64_t>(n_chunks, a.max_chunks);
  const int64_t V = m.config.n_vocab, first = n_ctx / 2;
  const std::unique_ptr<SequenceState> state = m.model->new_state(n_ctx);
  std::vector<float> logits(size_t(n_ctx * V));
  double nll = 0;
  int64_t count = 0;
  Timer timer;
  ProgressLine progress("perplexity");
  for (int64_t c = 0; c < n_chunks; ++c) {
    // As llama.cpp's perplexity: each window starts with BOS in place of
    // its first token, the way models see the start of a text.
    std::vector<int32_t> chunk(tokens.begin() + c * n_ctx, tokens.begin() + (c + 1) * n_ctx);
    if (m.tokenizer->add_bos() && m.tokenizer->bos_id() >= 0) chunk[0] = m.tokenizer->bos_id();
    m.model->forward(chunk.data(), n_ctx, 0, *state, logits.data(), true);
    for (int64_t t = first; t + 1 < n_ctx; ++t) {
      const float* z = logits.data() + t * V;
      float mx = z[0];
      for (int64_t j = 1; j < V; ++j) mx = std::max(mx, z[j]);
      double sum = 0;
      for (int64_t j = 0; j < V; ++j) sum += std::exp(double(z[j] - mx));
      nll += std::log(sum) + mx - z[chunk[t + 1]];
      ++count;
    }
    const double done = double(c + 1) / double(n_chunks), el = timer.seconds();
    progress.update(size_t(c + 1), size_t(n_chunks),
                    fmt::format("[{:<30}] {}/{} chunks, ppl {:.4f}, ETA {:.0f} s", std::string(size_t(done * 30), '#'),
                                c + 1, n_chunks, std::exp(nll / double(count)), el / done - el));
  }
  fmt::print("perplexity: {:.4f} over {} tokens ({} chunks of {})\n", std::exp(nll / double(count)), count, n_chunks,
             n_ctx);
}

const CommandRegistrar reg(50, "perplexity", "perplexity of a model on a text file", [](CLI::App& sub) {
  auto a = std::make_shared<PplArgs>();
  add_model_options(sub, a->model);
  sub.add_option("-f,--file", a->file, "text file")->required();
  sub.add_option("--chunks", a->max_chunks, "score at most this many windows (0 = all)")->check(in_range(0, 1 << 30));
  sub.callback([a] { run(*a); });
});

}  // namespace
}  // namespace lowbit::cli
