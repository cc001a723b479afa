// decode(encode(x)) == x for any bytes, invalid UTF-8 included, and long
// runs that take the heap merge path, with each kind of tokenizer.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "io/data_dir.hpp"
#include "tokenizer/bpe_trainer.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace lowbit;

namespace {
std::vector<std::string> samples() {
  std::mt19937 rng(11);
  std::vector<std::string> out = {std::string(5000, ' '), std::string(3000, 'a'), std::string(2000, '\n') + "x",
                                  "\xFF\xFE\xFD", "\xC3", "a\xE2\x82", std::string("\0\0a\0", 4)};
  for (int i = 0; i < 60; ++i) {
    std::string s(rng() % 300, '\0');
    for (char& c : s) c = char(rng() % 256);  // mostly invalid UTF-8
    out.push_back(s);
  }
  const char* alphabet[] = {"a", "b", " ", "  ", "\n", "\r\n", "'s", "1", "\xC3\xA9", "\xE6\x97\xA5", "\xF0\x9F\x98\x80", "!", "<|eot_id|>"};
  for (int i = 0; i < 60; ++i) {
    std::string s;
    for (size_t n = rng() % 200; n > 0; --n) s += alphabet[rng() % 13];
    out.push_back(s);
  }
  return out;
}

void expect_lossless(const Tokenizer& t) {
  for (const std::string& s : samples()) {
    ASSERT_EQ(t.decode(t.encode(s)), s);
    ASSERT_EQ(t.decode(t.encode(s, false, true)), s);
  }
}
}  // namespace

TEST(RoundTrip, ByteTokenizer) { expect_lossless(Tokenizer::byte_level()); }

TEST(RoundTrip, TrainedTokenizer) {
  std::string corpus;
  for (int i = 0; i < 500; ++i) corpus += "the cat sat on the mat, aaaa    bbbb \xC3\xA9t\xC3\xA9 12345\n";
  BpeTrainOptions o;
  o.vocab_size = 320;
  expect_lossless(Tokenizer::from_gguf(train_bpe(corpus, o)));
}

TEST(RoundTrip, Llama3) {
  const std::string path = find_data_file("llama3-tiktoken.model");
  ASSERT_FALSE(path.empty()) << "data/llama3-tiktoken.model not found";
  expect_lossless(Tokenizer::load_llama3_tiktoken(path));
}

TEST(RoundTrip, ConcurrentEncodesAgree) {
  // The server encodes from several threads with one tokenizer.
  std::string corpus;
  for (int i = 0; i < 200; ++i) corpus += "to be, or not to be: that is the question " + std::to_string(i) + "\n";
  BpeTrainOptions o;
  o.vocab_size = 400;
  const Tokenizer t = Tokenizer::from_gguf(train_bpe(corpus, o));
  const auto want = t.encode(corpus);
  std::vector<std::vector<TokenId>> got(4);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < got.size(); ++k)
    threads.emplace_back([&, k] {
      for (int r = 0; r < 5; ++r) got[k] = t.encode(corpus);
    });
  for (auto& th : threads) th.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}
