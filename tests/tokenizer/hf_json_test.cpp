// tokenizer.json loading, with a vocabulary small enough to merge by hand,
// and the GGUF vectors of the same tokenizer.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace lowbit;

namespace {
// Ids: a0 b1 c2 Ġ3 bc4 ab5 abc6 Ġa7, added <|eot|>8 (special) and <x>9 (not).
// Merge priority: "b c" < "a b" < "ab c" < "Ġ a". Note "abc" is a token that
// merging cannot reach from "a b c" (bc goes first, then a+bc has no rule).
std::string tokenizer_json(bool pair_form, bool ignore_merges) {
  const std::string merges = pair_form ? R"([["b","c"],["a","b"],["ab","c"],["Ġ","a"]])"
                                       : R"(["b c","a b","ab c","Ġ a"])";
  return std::string(R"({
    "version": "1.0",
    "added_tokens": [
      {"id": 8, "content": "<|eot|>", "special": true},
      {"id": 9, "content": "<x>", "special": false}
    ],
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
      {"type": "Split", "pattern": {"Regex": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
       "behavior": "Isolated", "invert": false},
      {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
    "model": {"type": "BPE", "ignore_merges": )") +
         (ignore_merges ? "true" : "false") + R"(,
      "vocab": {"a": 0, "b": 1, "c": 2, "Ġ": 3, "bc": 4, "ab": 5, "abc": 6, "Ġa": 7},
      "merges": )" + merges + "}}";
}
using Ids = std::vector<TokenId>;
}  // namespace

TEST(HfJson, EncodesAsWorkedOutByHand) {
  for (bool pair_form : {false, true}) {
    const Tokenizer t = Tokenizer::from_hf_json(tokenizer_json(pair_form, false), "t.json");
    EXPECT_EQ(t.n_vocab(), 10);
    EXPECT_EQ(t.n_merges(), 4u);
    // "abc" -> a bc (bc first) ; " ab" -> Ġ ab ; " ca" -> no rule applies.
    EXPECT_EQ(t.encode("abc ab ca"), (Ids{0, 4, 3, 5, 3, 2, 0}));
    // Two equal-priority "a b" pairs: both merge.
    EXPECT_EQ(t.encode("abab"), (Ids{5, 5}));
    // " a" merges to Ġa (7).
    EXPECT_EQ(t.encode("b a"), (Ids{1, 7}));
    EXPECT_EQ(t.decode(Ids{0, 4, 3, 5}), "abc ab");
  }
}

TEST(HfJson, IgnoreMergesTakesWholeTokens) {
  const Tokenizer t = Tokenizer::from_hf_json(tokenizer_json(false, true), "t.json");
  EXPECT_EQ(t.encode("abc"), (Ids{6}));
  EXPECT_EQ(t.encode("abca"), (Ids{0, 4, 0}));  // not a token: merged as before
}

TEST(HfJson, AddedTokens) {
  const Tokenizer t = Tokenizer::from_hf_json(tokenizer_json(false, false), "t.json");
  EXPECT_EQ(t.token_type(8), TokenType::Control);
  EXPECT_EQ(t.token_type(9), TokenType::UserDefined);
  EXPECT_EQ(t.encode("a<|eot|>b", false, true), (Ids{0, 8, 1}));
  // Non-special added tokens are matched even without parse_special.
  EXPECT_EQ(t.encode("a<x>b"), (Ids{0, 9, 1}));
  // Without parse_special the special's text is plain text, whose bytes this
  // vocabulary cannot encode: a clear error, not a crash.
  try {
    t.encode("a<|eot|>b");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("0x3c"), std::string::npos) << e.what();
  }
  EXPECT_EQ(t.decode(Ids{0, 8, 1}), "a<|eot|>b");
  EXPECT_EQ(t.decode(Ids{0, 8, 1}, true), "ab");
  EXPECT_THROW(t.decode(Ids{10}), Error);
  EXPECT_THROW(t.decode(Ids{-1}), Error);
}

TEST(HfJson, GgufVectorsOfTheSameTokenizer) {
  const Tokenizer t = Tokenizer::from_hf_json(tokenizer_json(true, false), "t.json");
  const GgufVocab v = t.to_gguf();
  EXPECT_EQ(v.model, "gpt2");
  EXPECT_EQ(v.pre, "llama-bpe");
  EXPECT_EQ(v.tokens, (std::vector<std::string>{"a", "b", "c", "Ġ", "bc", "ab", "abc", "Ġa", "<|eot|>", "<x>"}));
  EXPECT_EQ(v.merges, (std::vector<std::string>{"b c", "a b", "ab c", "Ġ a"}));
  EXPECT_EQ(v.token_type, (std::vector<int32_t>{1, 1, 1, 1, 1, 1, 1, 1, 3, 4}));
  // Through our own tokenizer.json: the same tokenizer.
  const Tokenizer j = Tokenizer::from_hf_json(t.to_hf_json(), "out.json");
  EXPECT_EQ(j.encode("abc ab ca"), (Ids{0, 4, 3, 5, 3, 2, 0}));
  EXPECT_EQ(j.encode("a<|eot|>b", false, true), (Ids{0, 8, 1}));
  // Through GGUF: there, as in llama.cpp, pre "llama-bpe" implies that a piece
  // which is a whole token is taken as is, so "abc" becomes token 6.
  const Tokenizer g = Tokenizer::from_gguf(v);
  EXPECT_EQ(g.encode("abc ab ca"), (Ids{6, 3, 5, 3, 2, 0}));
  EXPECT_EQ(g.encode("a<|eot|>b", false, true), (Ids{0, 8, 1}));
}

TEST(HfJson, TokenizerConfig) {
  Tokenizer t = Tokenizer::from_hf_json(tokenizer_json(false, false), "t.json");
  t.apply_hf_config(R"({"bos_token": "<x>", "eos_token": {"content": "<|eot|>"}, "add_bos_token": false,
                        "chat_template": "{{ '<|start_header_id|>' }}"})",
                    "tokenizer_config.json");
  EXPECT_EQ(t.bos_id(), 9);
  EXPECT_EQ(t.eos_id(), 8);
  EXPECT_FALSE(t.add_bos());
  EXPECT_EQ(t.chat_template(), "{{ '<|start_header_id|>' }}");
  EXPECT_EQ(t.encode("a", true), (Ids{9, 0}));
  EXPECT_THROW(t.apply_hf_config(R"({"bos_token": "<nope>"})", "c.json"), Error);
}

TEST(HfJson, MalformedInputsAreErrorsNamingTheField) {
  auto error_of = [](const std::string& json) -> std::string {
    try {
      Tokenizer::from_hf_json(json, "bad.json");
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(error_of("{").find("bad.json"), std::string::npos);
  EXPECT_NE(error_of(R"({"model": {"type": "Unigram", "vocab": {}}})").find("Unigram"), std::string::npos);
  EXPECT_NE(error_of(R"({"model": {"vocab": {"a": 0, "b": 2}}})").find("id 2"), std::string::npos);  // a hole at 1
  EXPECT_NE(error_of(R"({"model": {"vocab": {"a": 0, "b": 1}, "merges": ["a c"]}})").find("merges[0]"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"model": {"vocab": {"a": 0, "b": 1}, "merges": ["a b"]}})").find("merges[0]"),
            std::string::npos);  // "ab" is not in the vocabulary
  EXPECT_NE(error_of(R"({"model": {"vocab": {"a": "x"}}})").find("model.vocab"), std::string::npos);
}

TEST(Gguf, MalformedVectorsAreErrors) {
  GgufVocab v;
  v.tokens = {"a", "b"};
  v.token_type = {1};
  EXPECT_THROW(Tokenizer::from_gguf(v), Error);
  v.token_type = {1, 1};
  v.merges = {"ab"};
  EXPECT_THROW(Tokenizer::from_gguf(v), Error);
  v.merges = {};
  v.model = "llama";
  EXPECT_THROW(Tokenizer::from_gguf(v), Error);
  v.model = "gpt2";
  v.pre = "qwen2";
  EXPECT_THROW(Tokenizer::from_gguf(v), Error);
  v.pre = "llama-bpe";
  v.bos_id = 5;
  EXPECT_THROW(Tokenizer::from_gguf(v), Error);
  v.bos_id = 1;
  EXPECT_EQ(Tokenizer::from_gguf(v).encode("ab", true), (std::vector<TokenId>{1, 0, 1}));
  // An absent tokenizer.ggml.pre (as in the official BitNet 2B4T GGUF) is LLaMA-3's.
  v.pre = "";
  EXPECT_EQ(Tokenizer::from_gguf(v).pre(), "llama-bpe");
}
