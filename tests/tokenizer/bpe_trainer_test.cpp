// The BPE trainer on corpora small enough to count pairs by hand.
#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "tokenizer/bpe_trainer.hpp"

using namespace lowbit;

namespace {
BpeTrainOptions opts(int32_t vocab, int64_t min_freq, std::vector<std::string> specials = {}) {
  BpeTrainOptions o;
  o.vocab_size = vocab;
  o.min_frequency = min_freq;
  o.specials = std::move(specials);
  return o;
}
}  // namespace

TEST(BpeTrainer, MostFrequentPairFirst) {
  // Pieces: "ab" x1, " ab" x2, " abc" x1.
  // Pair counts: (a,b)=4, (Ġ,a)=3, (b,c)=1 -> merge "a b" (256).
  // Then (Ġ,ab)=3, (ab,c)=1 -> merge "Ġ ab" (257). Then (Ġab,c)=1 < 2: stop.
  const GgufVocab v = train_bpe("ab ab ab abc", opts(1000, 2));
  EXPECT_EQ(v.merges, (std::vector<std::string>{"a b", "Ġ ab"}));
  ASSERT_EQ(v.tokens.size(), 258u);
  EXPECT_EQ(v.tokens[256], "ab");
  EXPECT_EQ(v.tokens[257], "Ġab");
  EXPECT_EQ(v.tokens['a'], "a");
  EXPECT_EQ(v.tokens[' '], "Ġ");
  const Tokenizer t = Tokenizer::from_gguf(v);
  EXPECT_EQ(t.encode("ab abc"), (std::vector<TokenId>{256, 257, 'c'}));
}

TEST(BpeTrainer, TiesGoToTheSmallerPair) {
  // Pieces "xy" and " yz", each once: (Ġ,y)=(32,121), (x,y)=(120,121),
  // (y,z)=(121,122) all count 1. Smallest pair first: "Ġ y" (256). Then
  // (x,y)=(120,121) beats (256,z): "x y" (257), then "Ġy z" (258).
  const GgufVocab v = train_bpe("xy yz", opts(1000, 1));
  EXPECT_EQ(v.merges, (std::vector<std::string>{"Ġ y", "x y", "Ġy z"}));
}

TEST(BpeTrainer, StopsAtTheVocabularySize) {
  // With two specials, 256 + 1 merge + 2 = 259.
  const GgufVocab v = train_bpe("ab ab ab abc", opts(259, 1, {"<|begin_of_text|>", "<|end_of_text|>"}));
  EXPECT_EQ(v.merges, (std::vector<std::string>{"a b"}));
  ASSERT_EQ(v.tokens.size(), 259u);
  EXPECT_EQ(v.tokens[257], "<|begin_of_text|>");
  EXPECT_EQ(v.token_type[258], int32_t(TokenType::Control));
  EXPECT_EQ(v.bos_id, 257);
  EXPECT_EQ(v.eos_id, 258);
  EXPECT_EQ(v.eot_id, -1);
  EXPECT_THROW(train_bpe("x", opts(257, 1, {"<a>", "<b>"})), Error);
}

TEST(BpeTrainer, OverlappingPairsCountedAsMerged) {
  // "aaaa" x1: (a,a) is counted 3 times but merges left to right into
  // [aa, aa]; then (aa,aa) once.
  const GgufVocab v = train_bpe("aaaa", opts(1000, 1));
  EXPECT_EQ(v.merges, (std::vector<std::string>{"a a", "aa aa"}));
}

TEST(BpeTrainer, DeterministicAndLossless) {
  // A synthetic corpus with repeated words, punctuation and numbers.
  std::mt19937 rng(3);
  const char* words[] = {"the", "king", "queen", "shall", "not", "pass", "thou", "art", "1599", "!", ",", "\n"};
  std::string text;
  for (int i = 0; i < 20000; ++i) {
    text += words[rng() % 12];
    text += rng() % 5 ? " " : "  ";
  }
  const GgufVocab a = train_bpe(text, opts(280, 2));
  const GgufVocab b = train_bpe(text, opts(280, 2));
  EXPECT_EQ(a.merges, b.merges);
  EXPECT_EQ(a.tokens.size(), 280u);
  const Tokenizer t = Tokenizer::from_gguf(a);
  const auto ids = t.encode(text);
  // More merges, fewer tokens.
  const auto fewer_merges = Tokenizer::from_gguf(train_bpe(text, opts(260, 2))).encode(text);
  EXPECT_LT(ids.size(), fewer_merges.size());
  EXPECT_LT(fewer_merges.size(), text.size());
  EXPECT_EQ(t.decode(ids), text);
  // The same tokenizer through tokenizer.json.
  const Tokenizer u = Tokenizer::from_hf_json(t.to_hf_json(), "trained.json");
  EXPECT_EQ(u.encode(text), ids);
}

TEST(BpeTrainer, StopsWhenEveryPieceIsOneToken) {
  // Pieces: "the", " the", " cat" (and "  " never: single spaces only).
  // Once each is a single token no pair is left, whatever size was asked.
  std::string text;
  for (int i = 0; i < 50; ++i) text += "the the cat ";
  const GgufVocab v = train_bpe(text, opts(5000, 2));
  EXPECT_LT(v.tokens.size(), 5000u);
  const Tokenizer t = Tokenizer::from_gguf(v);
  EXPECT_EQ(t.encode("the the cat ").size(), 4u);  // "the", " the", " cat", " "
}
