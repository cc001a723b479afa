#include "model/session.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/timer.hpp"

namespace lowbit {

Session::Session(Model& model, const Tokenizer& tok, int64_t n_ctx)
    : model_(model), tok_(tok), state_(model.new_state(n_ctx)), logits_(size_t(model.config().n_vocab)) {}

const std::vector<float>& Session::eval(const std::vector<int32_t>& tokens, int n_batch) {
  LOWBIT_CHECK(int64_t(tokens_.size() + tokens.size()) <= state_->n_ctx(),
               "the prompt needs {} tokens but the context holds {} (use -c to raise it)",
               tokens_.size() + tokens.size(), state_->n_ctx());
  for (size_t i = 0; i < tokens.size(); i += size_t(n_batch)) {
    const int64_t n = int64_t(std::min(tokens.size() - i, size_t(n_batch)));
    model_.forward(tokens.data() + i, n, int64_t(tokens_.size()), *state_, logits_.data());
    tokens_.insert(tokens_.end(), tokens.begin() + int64_t(i), tokens.begin() + int64_t(i) + n);
  }
  return logits_;
}

size_t reusable_prefix(const std::vector<int32_t>& cached, const std::vector<int32_t>& prompt,
                       const SequenceState& state) {
  if (prompt.empty()) return 0;
  size_t common = 0;
  while (common < cached.size() && common < prompt.size() && cached[common] == prompt[common]) ++common;
  common = std::min(common, prompt.size() - 1);
  return size_t(state.reusable_prefix(int64_t(common)));
}

GenerateResult Session::generate(std::string_view prompt, const GenerateOptions& opt, const TextSink& sink) {
  return generate_tokens(tok_.encode(prompt, opt.add_bos && tok_.add_bos(), opt.parse_special), opt, sink);
}

GenerateResult Session::generate_tokens(std::vector<int32_t> prompt, const GenerateOptions& opt, const TextSink& sink) {
  GenerateResult r;
  r.n_prompt = int64_t(prompt.size());
  LOWBIT_CHECK(!prompt.empty(), "the prompt is empty (no tokens)");
  tokens_.resize(reusable_prefix(tokens_, prompt, *state_));
  const std::vector<int32_t> rest(prompt.begin() + int64_t(tokens_.size()), prompt.end());
  r.n_prompt_evaluated = int64_t(rest.size());

  Timer timer;
  eval(rest, opt.n_batch);
  r.prefill_seconds = timer.seconds();

  Sampler sampler(opt.sampling);
  const int64_t room = state_->n_ctx() - int64_t(tokens_.size());
  LOWBIT_CHECK(room > 0 || opt.n_predict == 0, "the context of {} tokens is full after the prompt's {} (raise -c)",
               state_->n_ctx(), prompt.size());
  const int64_t limit = opt.n_predict < 0 ? room : std::min<int64_t>(opt.n_predict, room);
  GenerationStep step(tok_, opt.stop, limit);
  timer.reset();
  r.finish_reason = step.limit() == 0 ? FinishReason::Length : FinishReason::None;
  while (r.finish_reason == FinishReason::None) {
    if (opt.ignore_eos)
      for (const int32_t eog : {tok_.eos_id(), tok_.eot_id()})
        if (eog >= 0 && eog < int32_t(logits_.size())) logits_[size_t(eog)] = -INFINITY;
    const int32_t id = sampler.sample(logits_, tokens_);
    const GenerationStep::Result s = step.accept(id);
    r.text += s.text;
    r.finish_reason = s.finish;
    if (!s.text.empty() && sink && !sink(s.text)) r.finish_reason = FinishReason::Cancelled;
    // The last token is not run: nothing would read its logits. tokens_
    // lists only what the state holds, so a continuation evaluates it.
    if (r.finish_reason == FinishReason::None) eval({id}, 1);
  }
  r.n_generated = step.n_generated();
  r.context_full = r.finish_reason == FinishReason::Length && limit == room;
  r.stop_string = step.stop_found();
  r.decode_seconds = timer.seconds();
  return r;
}

size_t fit_chat_to_context(std::vector<ChatMessage>& messages, ChatTemplate tmpl, const Tokenizer& tok, int64_t n_ctx,
                           int64_t reserve) {
  auto prompt_tokens = [&] {
    return int64_t(tok.encode(format_chat(tmpl, messages), tok.add_bos(), /*parse_special=*/true).size());
  };
  const size_t first = !messages.empty() && messages.front().role == "system" ? 1 : 0;
  size_t dropped = 0;
  while (prompt_tokens() + reserve > n_ctx) {
    LOWBIT_CHECK(messages.size() > first + 1,
                 "the message needs {} tokens with the system prompt, and the context of {} keeps {} for the answer",
                 prompt_tokens(), n_ctx, reserve);
    // One turn: the oldest message and the replies up to the next user message.
    size_t end = first + 1;
    while (end + 1 < messages.size() && messages[end].role != "user") ++end;
    messages.erase(messages.begin() + int64_t(first), messages.begin() + int64_t(end));
    dropped += end - first;
  }
  return dropped;
}

}  // namespace lowbit
