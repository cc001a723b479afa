// SentencePiece-style BPE on hand-made vocabularies: the merge order (score,
// then leftmost), byte fallback and its absence, add_space_prefix, and
// malformed GGUF "llama" and tokenizer.json vocabularies (errors naming the
// key, never a crash). Expected ids are worked out by hand from the rules.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "tokenizer/spm_model.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace lowbit;
using Ids = std::vector<TokenId>;

namespace {
// <unk> <s> </s>, then <0x00>..<0xFF> (ids 3..258), then `pieces` from 259.
GgufVocab vocab(const std::vector<std::pair<std::string, float>>& pieces, bool bytes = true) {
  GgufVocab v;
  v.model = "llama";
  auto add = [&](std::string p, float s, TokenType t) {
    v.tokens.push_back(p);
    v.scores.push_back(s);
    v.token_type.push_back(int32_t(t));
  };
  add("<unk>", 0, TokenType::Unknown);
  add("<s>", 0, TokenType::Control);
  add("</s>", 0, TokenType::Control);
  if (bytes)
    for (int b = 0; b < 256; ++b) add(spm_byte_piece(uint8_t(b)), 0, TokenType::Byte);
  for (const auto& [p, s] : pieces) add(p, s, TokenType::Normal);
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  return v;
}
constexpr TokenId P = 259;  // the first piece after the byte tokens
constexpr TokenId kByte = 3;

std::string error_of(const GgufVocab& v) {
  try {
    (void)Tokenizer::from_gguf(v);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(SpmModel, BytePieceNames) {
  EXPECT_EQ(spm_byte_piece(0x0A), "<0x0A>");
  EXPECT_EQ(spm_byte_of_piece("<0x0A>"), 0x0A);
  EXPECT_EQ(spm_byte_of_piece("<0xff>"), 0xFF);
  EXPECT_EQ(spm_byte_of_piece("<0xG0>"), -1);
  EXPECT_EQ(spm_byte_of_piece("<0x0A"), -1);
  EXPECT_EQ(spm_escape_spaces(" a  b "), "\xE2\x96\x81" "a\xE2\x96\x81\xE2\x96\x81" "b\xE2\x96\x81");
  EXPECT_EQ(spm_unescape_spaces("\xE2\x96\x81" "a\xE2\x96\x81"), " a ");
}

TEST(SpmModel, HighestScoreMergesFirstAndTiesGoLeft) {
  // "▁" a b ab ba: in "▁aba", ab and ba compete.
  auto v = vocab({{"\xE2\x96\x81", -1}, {"a", -1}, {"b", -1}, {"ab", -5}, {"ba", -5}});
  const Ids tie = Tokenizer::from_gguf(v).encode("aba");
  EXPECT_EQ(tie, (Ids{P, P + 3, P + 1}));  // ▁ ab a: equal scores, the left pair wins
  v.scores[size_t(P + 4)] = -4;            // ba now scores higher
  EXPECT_EQ(Tokenizer::from_gguf(v).encode("aba"), (Ids{P, P + 1, P + 4}));
}

TEST(SpmModel, MergesChainThroughLongerPieces) {
  // ▁h, ▁he, ▁hel... each made from the one before plus a character; "ll" is
  // worse than every step, so it never forms.
  auto v = vocab({{"\xE2\x96\x81", 0},
                  {"h", 0},
                  {"e", 0},
                  {"l", 0},
                  {"o", 0},
                  {"\xE2\x96\x81h", -1},
                  {"\xE2\x96\x81he", -2},
                  {"\xE2\x96\x81hel", -3},
                  {"\xE2\x96\x81hell", -4},
                  {"\xE2\x96\x81hello", -5},
                  {"ll", -6}});
  const Tokenizer t = Tokenizer::from_gguf(v);
  EXPECT_EQ(t.encode("hello"), (Ids{P + 9}));
  EXPECT_EQ(t.encode("hello hello"), (Ids{P + 9, P + 9}));
  EXPECT_EQ(t.decode(Ids{P + 9, P + 9}), "hello hello");
  // "lo" is no piece; "ll" is.
  EXPECT_EQ(t.encode("llo"), (Ids{P, P + 10, P + 4}));
}

TEST(SpmModel, UnknownCharactersFallBackToBytes) {
  const Tokenizer t = Tokenizer::from_gguf(vocab({{"\xE2\x96\x81", 0}, {"a", 0}}));
  // é is C3 A9; \n is 0A.
  EXPECT_EQ(t.encode("a\xC3\xA9\n"), (Ids{P, P + 1, kByte + 0xC3, kByte + 0xA9, kByte + 0x0A}));
  EXPECT_EQ(t.decode(t.encode("a\xC3\xA9\n")), "a\xC3\xA9\n");
  // Invalid UTF-8 is bytes too, and comes back as it was.
  const std::string bad = "a\xFF\xC3 \x80";
  EXPECT_EQ(t.decode(t.encode(bad)), bad);
}

TEST(SpmModel, WithoutByteTokensUnknownIsUsedAndWithoutEitherItIsAnError) {
  auto v = vocab({{"\xE2\x96\x81", 0}, {"a", 0}}, /*bytes=*/false);
  constexpr TokenId Q = 3;  // pieces start right after the three specials
  EXPECT_EQ(Tokenizer::from_gguf(v).encode("ab"), (Ids{Q, Q + 1, 0}));
  v.unk_id = -1;
  v.token_type[0] = int32_t(TokenType::Control);
  const Tokenizer t = Tokenizer::from_gguf(v);
  EXPECT_THROW((void)t.encode("ab"), Error);
  EXPECT_EQ(t.encode("a"), (Ids{Q, Q + 1}));
}

TEST(SpmModel, AddSpacePrefixOffNeitherAddsNorStrips) {
  auto v = vocab({{"\xE2\x96\x81", 0}, {"a", 0}, {"\xE2\x96\x81" "a", -1}});
  v.add_space_prefix = false;
  const Tokenizer t = Tokenizer::from_gguf(v);
  EXPECT_FALSE(t.add_space_prefix());
  EXPECT_EQ(t.encode("a a"), (Ids{P + 1, P + 2}));
  EXPECT_EQ(t.decode(Ids{P + 2}), " a");
  EXPECT_FALSE(t.to_gguf().add_space_prefix);
  v.add_space_prefix = true;
  EXPECT_EQ(Tokenizer::from_gguf(v).encode("a a"), (Ids{P + 2, P + 2}));
  EXPECT_EQ(Tokenizer::from_gguf(v).decode(Ids{P + 2}), "a");
}

TEST(SpmModel, ControlAndByteTokensAreNeverMatchedAsText) {
  // A normal piece "<s>" would be matched; the control <s> is not.
  const Tokenizer t = Tokenizer::from_gguf(vocab({{"\xE2\x96\x81", 0}}));
  const Ids ids = t.encode("<s><0x41>");
  ASSERT_EQ(ids.size(), 10u);
  EXPECT_EQ(ids[0], P);  // the prefix "▁"
  for (size_t i = 1; i < ids.size(); ++i) EXPECT_EQ(t.token_type(ids[i]), TokenType::Byte);
  EXPECT_EQ(t.decode(ids), "<s><0x41>");
}

TEST(SpmModel, MalformedGgufVocabulariesNameTheKey) {
  const GgufVocab good = vocab({{"\xE2\x96\x81", 0}});
  auto v = good;
  v.scores.clear();
  EXPECT_NE(error_of(v).find("tokenizer.ggml.scores"), std::string::npos) << error_of(v);
  v = good;
  v.scores.pop_back();
  EXPECT_NE(error_of(v).find("tokenizer.ggml.scores"), std::string::npos);
  v = good;
  v.scores[5] = std::nanf("");
  EXPECT_NE(error_of(v).find("tokenizer.ggml.scores[5]"), std::string::npos);
  v = good;
  v.token_type.pop_back();
  EXPECT_NE(error_of(v).find("tokenizer.ggml.token_type"), std::string::npos);
  v = good;
  v.token_type[4] = 9;
  EXPECT_NE(error_of(v).find("tokenizer.ggml.token_type[4]"), std::string::npos);
  v = good;
  v.unk_id = 100000;
  EXPECT_NE(error_of(v).find("tokenizer.ggml.unknown_token_id"), std::string::npos);
  v = good;
  v.bos_id = 100000;
  EXPECT_NE(error_of(v).find("100000"), std::string::npos);
  v = good;
  v.tokens = StringList();
  EXPECT_NE(error_of(v).find("tokenizer.ggml.tokens"), std::string::npos);
  v = good;
  v.token_type[P] = int32_t(TokenType::Byte);  // "▁" typed as a byte token
  EXPECT_NE(error_of(v).find("tokenizer.ggml.tokens: token 259"), std::string::npos) << error_of(v);
  v = good;
  v.model = "t5";
  EXPECT_NE(error_of(v).find("tokenizer.ggml.model"), std::string::npos);
}

TEST(SpmModel, MalformedHfJsonIsAnErrorNamingTheField) {
  auto json = [](std::string merges, std::string vocab_extra = "") {
    return R"({"model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
      "vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3)" +
           vocab_extra + R"(}, "merges": )" + merges + "}}";
  };
  const Tokenizer ok = Tokenizer::from_hf_json(json(R"(["a b"])"), "t.json");
  EXPECT_TRUE(ok.is_sentencepiece());
  EXPECT_FALSE(ok.add_space_prefix());  // no Prepend normalizer
  EXPECT_EQ(ok.encode("ab"), (Ids{3}));
  EXPECT_EQ(ok.encode("abc"), (Ids{3, 0}));  // no byte tokens: <unk>
  auto error = [&](const std::string& j) {
    try {
      (void)Tokenizer::from_hf_json(j, "t.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error(json(R"(["a c"])")).find("model.merges[0]"), std::string::npos);
  EXPECT_NE(error(json(R"(["b a"])")).find("model.merges[0]"), std::string::npos);  // "ba" is no token
  EXPECT_NE(error(json(R"([7])")).find("model.merges[0]"), std::string::npos);
  EXPECT_NE(error(json(R"({})")).find("model.merges"), std::string::npos);
  EXPECT_NE(error(json(R"([])", R"(, "c": 9)")).find("outside"), std::string::npos);
  EXPECT_NE(error(json(R"([])", R"(, "c": "x")")).find("model.vocab"), std::string::npos);
  EXPECT_NE(error(R"({"model": {"type": "BPE", "byte_fallback": true, "unk_token": "<nope>", "vocab": {"a": 0}}})")
                .find("model.unk_token"),
            std::string::npos);
}

TEST(SpmModel, HfSpacePrefixFromNormalizerOrMetaspace) {
  auto with = [](const std::string& extra) {
    return Tokenizer::from_hf_json(R"({"model": {"type": "BPE", "byte_fallback": true,
      "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "\u2581": 3, "a": 4, "\u2581a": 5}, "merges": ["\u2581 a"]},
      "added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true},
                       {"id": 2, "content": "</s>", "special": true}])" +
                                       extra + "}",
                                   "t.json");
  };
  EXPECT_FALSE(with("").add_space_prefix());
  EXPECT_TRUE(with(R"(, "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
      {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]})")
                  .add_space_prefix());
  EXPECT_TRUE(with(R"(, "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first"})")
                  .add_space_prefix());
  EXPECT_FALSE(with(R"(, "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never"})")
                   .add_space_prefix());
  Tokenizer t = with(R"(, "pre_tokenizer": {"type": "Metaspace", "add_prefix_space": true})");
  EXPECT_EQ(t.encode("a a"), (Ids{5, 5}));
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  // tokenizer_config.json: add_eos_token and unk_token (here a control token
  // in added_tokens, as Llama-2's has it, when model.unk_token is absent).
  EXPECT_FALSE(t.add_eos());
  t.apply_hf_config(R"({"add_eos_token": true, "add_bos_token": false, "unk_token": "<unk>"})", "c.json");
  EXPECT_TRUE(t.add_eos());
  EXPECT_FALSE(t.add_bos());
  EXPECT_EQ(t.unk_id(), 0);
}
