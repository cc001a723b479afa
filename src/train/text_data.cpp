#include "train/text_data.hpp"

#include "core/error.hpp"

namespace lowbit {

namespace {
void fill_window(const std::vector<int32_t>& tokens, int32_t bos, int64_t T, int64_t off, int32_t* in, int32_t* tgt) {
  in[0] = bos;
  for (int64_t t = 1; t < T; ++t) in[t] = tokens[size_t(off + t - 1)];
  for (int64_t t = 0; t < T; ++t) tgt[t] = tokens[size_t(off + t)];
}
}  // namespace

TextData split_text(const std::string& text, const Tokenizer& tok, double split) {
  const size_t cut = size_t(double(text.size()) * split);
  // Cut at a line break so no token straddles the two parts.
  size_t at = text.find('\n', cut);
  if (at == std::string::npos) at = cut;
  TextData d;
  d.train = tok.encode(std::string_view(text).substr(0, at), false, false);
  d.val = tok.encode(std::string_view(text).substr(at), false, false);
  d.train_bytes = int64_t(at);
  d.val_bytes = int64_t(text.size() - at);
  d.bos = tok.bos_id();
  LOWBIT_CHECK(d.bos >= 0, "the tokenizer has no BOS token");
  return d;
}

void sample_batch(const std::vector<int32_t>& tokens, int32_t bos, int64_t B, int64_t T, Rng& rng,
                  std::vector<int32_t>& inputs, std::vector<int32_t>& targets) {
  LOWBIT_CHECK(int64_t(tokens.size()) > T, "the text has {} tokens, fewer than one window of {}", tokens.size(), T);
  inputs.resize(size_t(B * T));
  targets.resize(size_t(B * T));
  const uint64_t n_off = uint64_t(int64_t(tokens.size()) - T + 1);
  for (int64_t b = 0; b < B; ++b)
    fill_window(tokens, bos, T, int64_t(rng.next_u64() % n_off), inputs.data() + b * T, targets.data() + b * T);
}

void fixed_batch(const std::vector<int32_t>& tokens, int32_t bos, int64_t B, int64_t T, int64_t index,
                 int64_t n_batches, std::vector<int32_t>& inputs, std::vector<int32_t>& targets) {
  LOWBIT_CHECK(int64_t(tokens.size()) > T, "the validation text has {} tokens, fewer than one window of {}",
               tokens.size(), T);
  inputs.resize(size_t(B * T));
  targets.resize(size_t(B * T));
  const int64_t n_off = int64_t(tokens.size()) - T + 1, total = B * n_batches;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t k = index * B + b;
    fill_window(tokens, bos, T, k * (n_off - 1) / std::max<int64_t>(1, total - 1), inputs.data() + b * T,
                targets.data() + b * T);
  }
}

}  // namespace lowbit
