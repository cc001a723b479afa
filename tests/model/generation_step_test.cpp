// The generation step shared by Session and the server (stop strings, UTF-8
// pieces, limits, end-of-generation) with hand-worked expectations, and the
// Session loop on the bundled model: prefix reuse gives the same text as a
// fresh session, stop strings cut where the plain text has them,
// cancellation and limits report their finish reasons (and which limit or
// stop string), --ignore-eos, and a chat fitted to its context by dropping
// its oldest turns.
#include <gtest/gtest.h>

#include "model/generation_step.hpp"
#include "model/gguf_model.hpp"
#include "model/session.hpp"
#include "tokenizer/chat_template.hpp"

namespace lowbit {
namespace {

class StepTest : public ::testing::Test {
 protected:
  int32_t id(char c) const { return *tok_.find_token(std::string(1, c)); }
  int32_t byte(uint8_t b) const { return *tok_.find_token(std::string(1, char(b))); }
  Tokenizer tok_ = Tokenizer::byte_level();
};

TEST_F(StepTest, PlainTokensAreFinalAtOnce) {
  GenerationStep s(tok_, {}, 10);
  for (char c : std::string("abc")) {
    const auto r = s.accept(id(c));
    EXPECT_EQ(r.text, std::string(1, c));
    EXPECT_EQ(r.finish, FinishReason::None);
  }
  EXPECT_EQ(s.n_generated(), 3);
}

TEST_F(StepTest, StopStringIsHeldBackAndNotOutput) {
  GenerationStep s(tok_, {"bc"}, 10);
  EXPECT_EQ(s.accept(id('a')).text, "a");
  const auto b = s.accept(id('b'));  // may begin "bc": held
  EXPECT_EQ(b.text, "");
  EXPECT_EQ(b.finish, FinishReason::None);
  const auto c = s.accept(id('c'));
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.finish, FinishReason::Stop);
}

TEST_F(StepTest, HeldTextIsReleasedWhenItCannotBeAStop) {
  GenerationStep s(tok_, {"bc"}, 10);
  EXPECT_EQ(s.accept(id('b')).text, "");
  EXPECT_EQ(s.accept(id('d')).text, "bd");
}

TEST_F(StepTest, LimitFlushesWhatWasHeld) {
  GenerationStep s(tok_, {"xyz"}, 2);
  EXPECT_EQ(s.accept(id('a')).text, "a");
  const auto r = s.accept(id('x'));
  EXPECT_EQ(r.text, "x");
  EXPECT_EQ(r.finish, FinishReason::Length);
}

TEST_F(StepTest, EndOfGenerationStopsWithoutCounting) {
  GenerationStep s(tok_, {}, 10);
  s.accept(id('a'));
  const auto r = s.accept(tok_.eos_id());
  EXPECT_EQ(r.finish, FinishReason::Stop);
  EXPECT_EQ(r.text, "");
  EXPECT_EQ(s.n_generated(), 1);
}

// Found on main 08b2b51: text held back because it might begin a stop
// string was dropped when the generation ended another way.
TEST_F(StepTest, EndOfGenerationFlushesWhatWasHeld) {
  GenerationStep s(tok_, {"xyz"}, 10);
  EXPECT_EQ(s.accept(id('a')).text, "a");
  EXPECT_EQ(s.accept(id('x')).text, "");  // may begin "xyz": held
  const auto r = s.accept(tok_.eos_id());
  EXPECT_EQ(r.finish, FinishReason::Stop);
  EXPECT_EQ(r.text, "x");
}

TEST_F(StepTest, FlushReturnsHeldTextAndUnfinishedBytes) {
  GenerationStep s(tok_, {"xy"}, 10);
  EXPECT_EQ(s.accept(id('x')).text, "");
  EXPECT_EQ(s.flush(), "x");
  EXPECT_EQ(s.flush(), "");  // nothing twice
  GenerationStep u(tok_, {}, 10);
  EXPECT_EQ(u.accept(byte(0xC3)).text, "");
  EXPECT_FALSE(u.flush().empty());  // the lone lead byte is not swallowed
}

TEST_F(StepTest, MultiByteCharacterWaitsForItsLastByte) {
  GenerationStep s(tok_, {}, 10);
  EXPECT_EQ(s.accept(byte(0xC3)).text, "");
  EXPECT_EQ(s.accept(byte(0xA9)).text, "\xC3\xA9");
}

TEST(FinishReason, OpenAiWords) {
  EXPECT_EQ(finish_reason_name(FinishReason::Stop), "stop");
  EXPECT_EQ(finish_reason_name(FinishReason::Length), "length");
  EXPECT_EQ(finish_reason_name(FinishReason::Cancelled), "cancelled");
  EXPECT_EQ(finish_reason_name(FinishReason::Error), "error");
}

class SessionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    lm_ = new LoadedModel(load_gguf_model(std::string(LOWBIT_SOURCE_DIR) + "/models/shakespeare-b158.gguf"));
  }
  static void TearDownTestSuite() { delete lm_; }
  static GenerateOptions greedy(int n) {
    GenerateOptions o;
    o.n_predict = n;
    o.sampling.temperature = 0;
    return o;
  }
  static LoadedModel* lm_;
};
LoadedModel* SessionTest::lm_ = nullptr;

TEST_F(SessionTest, PrefixReuseGivesTheFreshSessionsText) {
  const std::vector<int32_t> a = lm_->tokenizer->encode("ROMEO:\nWhat light", true);
  std::vector<int32_t> ab = a;
  for (int32_t t : lm_->tokenizer->encode(" through yonder window", false)) ab.push_back(t);
  Session fresh(*lm_->model, *lm_->tokenizer, 256);
  const GenerateResult want = fresh.generate_tokens(ab, greedy(24));
  Session reused(*lm_->model, *lm_->tokenizer, 256);
  reused.generate_tokens(a, greedy(5));
  const GenerateResult got = reused.generate_tokens(ab, greedy(24));
  EXPECT_EQ(got.text, want.text);
  EXPECT_EQ(got.n_prompt_evaluated, int64_t(ab.size() - a.size()));  // only the new tokens ran
  EXPECT_EQ(want.n_prompt_evaluated, int64_t(ab.size()));
  EXPECT_EQ(got.finish_reason, FinishReason::Length);
  EXPECT_EQ(got.n_generated, 24);
}

TEST_F(SessionTest, StopStringCutsWhereThePlainTextHasIt) {
  Session s(*lm_->model, *lm_->tokenizer, 256);
  const GenerateResult plain = s.generate("KING:", greedy(40));
  ASSERT_GT(plain.text.size(), 12u);
  GenerateOptions o = greedy(40);
  o.stop = {plain.text.substr(8, 3)};
  s.reset();
  const GenerateResult cut = s.generate("KING:", o);
  EXPECT_EQ(cut.text, plain.text.substr(0, plain.text.find(o.stop[0])));
  EXPECT_EQ(cut.finish_reason, FinishReason::Stop);
}

TEST_F(SessionTest, CancelAndContextLimit) {
  Session s(*lm_->model, *lm_->tokenizer, 16);
  int pieces = 0;
  const GenerateResult c = s.generate("KING:", greedy(10), [&](std::string_view) { return ++pieces < 2; });
  EXPECT_EQ(c.finish_reason, FinishReason::Cancelled);
  EXPECT_EQ(pieces, 2);
  s.reset();
  const GenerateResult full = s.generate("KING:", greedy(-1));  // until the 16-token context is full
  EXPECT_EQ(full.finish_reason == FinishReason::Length || full.finish_reason == FinishReason::Stop, true);
  if (full.finish_reason == FinishReason::Length) {
    EXPECT_EQ(full.n_prompt + full.n_generated, 16);
  }
}

TEST_F(SessionTest, NoRoomAfterThePromptIsAnErrorNotAnEmptyAnswer) {
  Session s(*lm_->model, *lm_->tokenizer, 1);  // BOS fills it
  EXPECT_THROW(s.generate("", greedy(4)), Error);
  Session t(*lm_->model, *lm_->tokenizer, 16);
  const GenerateResult r = t.generate("KING:", greedy(0));  // asking for nothing is fine
  EXPECT_EQ(r.n_generated, 0);
}

TEST_F(SessionTest, ContextFullAndStopStringAreReported) {
  Session s(*lm_->model, *lm_->tokenizer, 16);
  GenerateOptions o = greedy(-1);
  o.ignore_eos = true;
  const GenerateResult full = s.generate("KING:", o);
  EXPECT_EQ(full.finish_reason, FinishReason::Length);
  EXPECT_TRUE(full.context_full);
  EXPECT_EQ(full.n_prompt + full.n_generated, 16);
  s.reset();
  const GenerateResult limited = s.generate("KING:", greedy(3));
  EXPECT_EQ(limited.finish_reason, FinishReason::Length);
  EXPECT_FALSE(limited.context_full);
  // Which stop string ended it.
  Session u(*lm_->model, *lm_->tokenizer, 256);
  const GenerateResult plain = u.generate("KING:", greedy(40));
  ASSERT_GT(plain.text.size(), 12u);
  GenerateOptions st = greedy(40);
  st.stop = {"never-there", plain.text.substr(8, 3)};
  u.reset();
  EXPECT_EQ(u.generate("KING:", st).stop_string, st.stop[1]);
}

TEST_F(SessionTest, IgnoreEosNeverSamplesTheEndTokens) {
  // A prompt of EOS tokens and a negative frequency penalty (each
  // occurrence adds 2 to EOS's logit: +40) make EOS the greedy choice;
  // ignore_eos must still never pick it.
  const Tokenizer& tok = *lm_->tokenizer;
  ASSERT_GE(tok.eos_id(), 0);
  std::vector<int32_t> prompt{tok.bos_id()};
  prompt.insert(prompt.end(), 20, tok.eos_id());
  GenerateOptions o = greedy(5);
  o.sampling.frequency_penalty = -2.0f;
  o.sampling.repeat_last_n = -1;
  Session s(*lm_->model, tok, 64);
  const GenerateResult stopped = s.generate_tokens(prompt, o);
  EXPECT_EQ(stopped.finish_reason, FinishReason::Stop);
  EXPECT_EQ(stopped.n_generated, 0);
  o.ignore_eos = true;
  s.reset();
  const GenerateResult r = s.generate_tokens(prompt, o);
  EXPECT_EQ(r.finish_reason, FinishReason::Length);
  EXPECT_EQ(r.n_generated, 5);
}

TEST(FitChat, DropsTheOldestTurnsAndKeepsTheSystemPrompt) {
  const Tokenizer tok = Tokenizer::byte_level();
  std::vector<ChatMessage> chat{{"system", "Be kind."},         {"user", "one"},
                                {"assistant", "first answer"},  {"user", "two"},
                                {"assistant", "second answer"}, {"user", "three"}};
  auto tokens = [&](const std::vector<ChatMessage>& m) {
    return int64_t(tok.encode(format_chat(ChatTemplate::Plain, m), tok.add_bos(), true).size());
  };
  const std::vector<ChatMessage> want{chat[0], chat[3], chat[4], chat[5]};
  const int64_t reserve = 10, n_ctx = tokens(want) + reserve;  // room for system + the last two turns
  ASSERT_GT(tokens(chat) + reserve, n_ctx);
  std::vector<ChatMessage> got = chat;
  EXPECT_EQ(fit_chat_to_context(got, ChatTemplate::Plain, tok, n_ctx, reserve), 2u);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].content, want[i].content);
  // One token less: only the system prompt and the last message stay.
  got = chat;
  EXPECT_EQ(fit_chat_to_context(got, ChatTemplate::Plain, tok, n_ctx - 1, reserve), 4u);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].role, "system");
  EXPECT_EQ(got[1].content, "three");
  // Nothing fits: an error, the messages as they were left.
  got = chat;
  EXPECT_THROW(fit_chat_to_context(got, ChatTemplate::Plain, tok, tokens({chat[0], chat[5]}) + reserve - 1, reserve),
               Error);
  // Already fitting: untouched.
  got = chat;
  EXPECT_EQ(fit_chat_to_context(got, ChatTemplate::Plain, tok, tokens(chat) + reserve, reserve), 0u);
  EXPECT_EQ(got.size(), chat.size());
}

}  // namespace
}  // namespace lowbit
