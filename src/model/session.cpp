#include "model/session.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/timer.hpp"
#include "tokenizer/stream_decoder.hpp"

namespace lowbit {

Session::Session(BitNetModel& model, const Tokenizer& tok, int64_t n_ctx)
    : model_(model), tok_(tok), cache_(model.config(), n_ctx), logits_(size_t(model.config().n_vocab)) {}

const std::vector<float>& Session::eval(const std::vector<int32_t>& tokens, int n_batch) {
  LOWBIT_CHECK(int64_t(tokens_.size() + tokens.size()) <= cache_.n_ctx(),
               "the prompt needs {} tokens but the context holds {} (use -c to raise it)",
               tokens_.size() + tokens.size(), cache_.n_ctx());
  for (size_t i = 0; i < tokens.size(); i += size_t(n_batch)) {
    const int64_t n = int64_t(std::min(tokens.size() - i, size_t(n_batch)));
    model_.forward(tokens.data() + i, n, int64_t(tokens_.size()), cache_, logits_.data());
    tokens_.insert(tokens_.end(), tokens.begin() + int64_t(i), tokens.begin() + int64_t(i) + n);
  }
  return logits_;
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

GenerateResult Session::generate(std::string_view prompt, const GenerateOptions& opt, const TextSink& sink) {
  return generate_tokens(tok_.encode(prompt, opt.add_bos && tok_.add_bos(), opt.parse_special), opt, sink);
}

GenerateResult Session::generate_tokens(std::vector<int32_t> prompt, const GenerateOptions& opt,
                                        const TextSink& sink) {
  GenerateResult r;
  r.n_prompt = int64_t(prompt.size());
  LOWBIT_CHECK(!prompt.empty(), "the prompt is empty (no tokens)");
  // Reuse the cached prefix; keep at least one token to evaluate so there
  // are fresh logits to sample from.
  size_t common = 0;
  while (common < tokens_.size() && common < prompt.size() && tokens_[common] == prompt[common]) ++common;
  common = std::min(common, prompt.size() - 1);
  tokens_.resize(common);
  const std::vector<int32_t> rest(prompt.begin() + int64_t(common), prompt.end());
  r.n_prompt_evaluated = int64_t(rest.size());

  Timer timer;
  eval(rest, opt.n_batch);
  r.prefill_seconds = timer.seconds();

  Sampler sampler(opt.sampling);
  StreamDecoder decoder(tok_, /*skip_special=*/true);
  std::string pending;
  const int64_t room = cache_.n_ctx() - int64_t(tokens_.size());
  const int64_t limit = opt.n_predict < 0 ? room : std::min<int64_t>(opt.n_predict, room);
  timer.reset();
  r.finish_reason = "length";
  auto emit = [&](size_t n) {
    if (n == 0) return true;
    r.text.append(pending, 0, n);
    const bool go_on = !sink || sink(std::string_view(pending).substr(0, n));
    pending.erase(0, n);
    return go_on;
  };
  for (int64_t i = 0; i < limit; ++i) {
    const int32_t id = sampler.sample(logits_, tokens_);
    if (tok_.is_eog(id)) {
      r.finish_reason = "stop";
      break;
    }
    ++r.n_generated;
    pending += decoder.push(id);
    size_t printable = 0;
    const bool stopped = stop_string_split(pending, opt.stop, printable) != std::string_view::npos;
    if (!emit(printable)) {
      r.finish_reason = "cancelled";
      break;
    }
    if (stopped) {
      pending.clear();
      r.finish_reason = "stop";
      break;
    }
    // The last token is not run: nothing would read its logits. tokens_
    // lists only what the cache holds, so a continuation evaluates it.
    if (i + 1 < limit) eval({id}, 1);
  }
  if (r.finish_reason == "length") {
    pending += decoder.finish();
    emit(pending.size());
  }
  r.decode_seconds = timer.seconds();
  return r;
}

}  // namespace lowbit
