// The streaming detokenizer and the chat templates.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "tokenizer/chat_template.hpp"
#include "tokenizer/stream_decoder.hpp"
#include "tokenizer/utf8.hpp"

using namespace lowbit;

TEST(StreamDecoder, HoldsBackPartialCharacters) {
  const Tokenizer t = Tokenizer::byte_level();
  StreamDecoder d(t);
  EXPECT_EQ(d.push('a'), "a");
  EXPECT_EQ(d.push(0xC3), "");  // é = C3 A9
  EXPECT_EQ(d.push(0xA9), "\xC3\xA9");
  EXPECT_EQ(d.push(0xF0), "");  // 😀 = F0 9F 98 80
  EXPECT_EQ(d.push(0x9F), "");
  EXPECT_EQ(d.push(0x98), "");
  EXPECT_EQ(d.push(0x80), "\xF0\x9F\x98\x80");
  EXPECT_EQ(d.push(0xFF), "\xFF");  // can never become valid: passed on
  EXPECT_EQ(d.push(0xE2), "");
  EXPECT_EQ(d.finish(), "\xE2");  // end of stream: flush what is held
  EXPECT_EQ(d.finish(), "");
}

TEST(StreamDecoder, SpecialsAndSkipping) {
  const Tokenizer t = Tokenizer::byte_level();
  const TokenId eot = t.eot_id();
  ASSERT_EQ(eot, 260);  // 256 bytes + bos, eos, start/end header, eot
  StreamDecoder keep(t), skip(t, true);
  EXPECT_EQ(keep.push(eot), "<|eot_id|>");
  EXPECT_EQ(skip.push(eot), "");
  EXPECT_THROW(keep.push(261), Error);
}

TEST(StreamDecoder, ConcatenationIsDecode) {
  // A byte tokenizer with a few merges, so tokens cut characters anywhere.
  const Tokenizer t = Tokenizer::byte_level();
  const std::string text = "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80!";
  StreamDecoder d(t);
  std::string out;
  for (TokenId id : t.encode(text)) {
    const std::string piece = d.push(id);
    out += piece;
    // Each piece ends on a character boundary.
    EXPECT_EQ(lowbit::utf8_complete_prefix(out), out.size());
  }
  out += d.finish();
  EXPECT_EQ(out, text);
}

namespace {
const std::vector<ChatMessage> kDialog = {{"system", "You are helpful. "}, {"user", "\nHi!"}};
}

TEST(ChatTemplate, Llama3) {
  EXPECT_EQ(format_chat(ChatTemplate::Llama3, kDialog),
            "<|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplate, BitNet) {
  // microsoft/BitNet gpu/tokenizer.py ChatFormat and the 2B4T chat_template.
  EXPECT_EQ(format_chat(ChatTemplate::BitNet, kDialog),
            "System: You are helpful.<|eot_id|>User: Hi!<|eot_id|>Assistant: ");
  EXPECT_EQ(format_chat(ChatTemplate::BitNet, kDialog, false), "System: You are helpful.<|eot_id|>User: Hi!<|eot_id|>");
}

TEST(ChatTemplate, PlainFallback) {
  EXPECT_EQ(format_chat(ChatTemplate::Plain, kDialog), "System: You are helpful.\nUser: Hi!\nAssistant:");
}

TEST(ChatTemplate, DetectionAndNames) {
  // Meta-Llama-3-8B-Instruct's template (abridged) and BitNet 2B4T's.
  const std::string llama3 =
      "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
      "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + "
      "'<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}"
      "{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
  const std::string bitnet =
      "{% for message in messages %}{% set content = message['role'] | capitalize + ': '+ message['content'] | "
      "trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
      "{{ content }}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant: ' }}{% endif %}";
  EXPECT_EQ(detect_chat_template(llama3), ChatTemplate::Llama3);
  EXPECT_EQ(detect_chat_template(bitnet), ChatTemplate::BitNet);
  EXPECT_EQ(detect_chat_template(""), ChatTemplate::Plain);
  EXPECT_EQ(detect_chat_template("{{ messages }}"), ChatTemplate::Plain);
  for (ChatTemplate t : {ChatTemplate::Llama3, ChatTemplate::BitNet, ChatTemplate::Plain})
    EXPECT_EQ(chat_template_from_name(chat_template_name(t)), t);
  EXPECT_THROW(chat_template_from_name("chatml"), Error);
}

TEST(ChatTemplate, EncodesSpecialsAsSingleTokens) {
  const Tokenizer t = Tokenizer::byte_level();
  const auto ids = t.encode(format_chat(ChatTemplate::BitNet, {{{"user", "Hi"}}}), true, true);
  // bos, "User: Hi" as bytes, eot, "Assistant: " as bytes.
  std::vector<TokenId> want = {t.bos_id()};
  for (char c : std::string("User: Hi")) want.push_back(uint8_t(c));
  want.push_back(t.eot_id());
  for (char c : std::string("Assistant: ")) want.push_back(uint8_t(c));
  EXPECT_EQ(ids, want);
}
