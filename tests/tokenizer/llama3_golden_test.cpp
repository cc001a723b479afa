// LLaMA-3 token ids against golden ids written by an independent
// implementation (npm `tiktoken`, tests/reference/tokenizer_ref.mjs) from the
// same ranks file, which ships in the repository's data/ folder: a missing
// file fails these tests rather than skipping them.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/data_dir.hpp"
#include "tokenizer/byte_unicode.hpp"
#include "tokenizer/tokenizer.hpp"

using namespace lowbit;

namespace {
nlohmann::json golden() {
  std::ifstream in(std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/tokenizer_llama3.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str());
}

// Loaded once: building the pair table of 128k tokens takes a moment.
const Tokenizer* llama3() {
  static const std::unique_ptr<Tokenizer> t = [] {
    const std::string path = find_data_file("llama3-tiktoken.model");
    return path.empty() ? nullptr : std::make_unique<Tokenizer>(Tokenizer::load_llama3_tiktoken(path));
  }();
  return t.get();
}

#define REQUIRE_LLAMA3()                                                  \
  ASSERT_NE(llama3(), nullptr) << "data/llama3-tiktoken.model not found"; \
  const Tokenizer& tok = *llama3()
}  // namespace

TEST(Llama3, VocabularyShape) {
  REQUIRE_LLAMA3();
  EXPECT_EQ(tok.n_vocab(), 128256);
  EXPECT_EQ(tok.bos_id(), 128000);
  EXPECT_EQ(tok.eos_id(), 128001);
  EXPECT_EQ(tok.eot_id(), 128009);
  EXPECT_EQ(tok.find_token("<|start_header_id|>"), 128006);
  EXPECT_EQ(tok.find_token("<|reserved_special_token_250|>"), 128255);
  // Ranks 0.. are the printable ASCII bytes from '!' (tiktoken's order).
  EXPECT_EQ(tok.token_bytes(0), "!");
  EXPECT_EQ(tok.token_bytes(220), " ");
}

TEST(Llama3, MatchesTiktokenOnDiverseStrings) {
  REQUIRE_LLAMA3();
  const auto g = golden();
  ASSERT_GE(g["cases"].size(), 40u);
  for (const auto& c : g["cases"]) {
    const std::string text = c["text"];
    const bool special = c["parse_special"];
    const auto want = c["ids"].get<std::vector<TokenId>>();
    EXPECT_EQ(tok.encode(text, false, special), want) << "text: " << text;
    EXPECT_EQ(tok.decode(want), text) << "text: " << text;
  }
}

TEST(Llama3, MatchesTiktokenOnShakespeare) {
  REQUIRE_LLAMA3();
  const auto g = golden();
  const std::string text = g["shakespeare"]["text"];
  const auto want = g["shakespeare"]["ids"].get<std::vector<TokenId>>();
  ASSERT_GT(want.size(), 5000u);
  EXPECT_EQ(tok.encode(text), want);
  EXPECT_EQ(tok.decode(want), text);
}

TEST(Llama3, WholeShakespeareCountMatchesTiktoken) {
  REQUIRE_LLAMA3();
  const std::string path = find_data_file("tinyshakespeare.txt");
  ASSERT_FALSE(path.empty()) << "data/tinyshakespeare.txt not found";
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(tok.encode(ss.str()).size(), golden()["shakespeare_full_count"].get<size_t>());
}

TEST(Llama3, BosAndSpecialParsing) {
  REQUIRE_LLAMA3();
  // "Hello" is 9906 (golden above); specials only with parse_special.
  EXPECT_EQ(tok.encode("Hello", true), (std::vector<TokenId>{128000, 9906}));
  const auto parsed = tok.encode("<|eot_id|>", false, true);
  EXPECT_EQ(parsed, std::vector<TokenId>{128009});
  const auto literal = tok.encode("<|eot_id|>", false, false);
  EXPECT_GT(literal.size(), 1u);
  for (TokenId id : literal) EXPECT_LT(id, 128000);
  EXPECT_EQ(tok.decode(std::vector<TokenId>{128000, 9906, 128009}, true), "Hello");
}

TEST(Llama3, LookupsMatchAStdMapOfTheVocabulary) {
  REQUIRE_LLAMA3();
  // The reference: the normal tokens' bytes in a std::map (the lowest id on
  // duplicates), and from it the merge rules tiktoken implies: every split of
  // a token into two tokens, ordered by the token's rank, then left, right.
  std::map<std::string, TokenId, std::less<>> ids;
  for (TokenId i = 0; i < tok.n_vocab(); ++i)
    if (!tok.is_special(i)) ids.emplace(std::string(tok.token_bytes(i)), i);
  ASSERT_EQ(ids.size(), 128000u);
  for (const auto& [bytes, id] : ids) {
    ASSERT_EQ(tok.find_token(bytes), id);
    for (std::string_view tail : {"\xff", "\x01", " the"}) {  // mostly not tokens
      const std::string probe = bytes + std::string(tail);
      auto it = ids.find(probe);
      ASSERT_EQ(tok.find_token(probe), it == ids.end() ? std::nullopt : std::optional<TokenId>(it->second)) << probe;
    }
  }
  std::vector<std::string> merges;
  for (TokenId id = 0; id < 128000; ++id) {
    const std::string bytes(tok.token_bytes(id));
    std::vector<std::pair<TokenId, TokenId>> splits;
    for (size_t k = 1; k < bytes.size(); ++k) {
      auto l = ids.find(bytes.substr(0, k)), r = ids.find(bytes.substr(k));
      if (l != ids.end() && r != ids.end()) splits.push_back({l->second, r->second});
    }
    std::sort(splits.begin(), splits.end());
    for (auto [l, r] : splits)
      merges.push_back(bytes_to_unicode(tok.token_bytes(l)) + " " + bytes_to_unicode(tok.token_bytes(r)));
  }
  EXPECT_EQ(tok.n_merges(), merges.size());
  EXPECT_EQ(tok.to_gguf().merges, merges);
}

TEST(Llama3, GgufExportRoundTrips) {
  REQUIRE_LLAMA3();
  const GgufVocab v = tok.to_gguf();
  ASSERT_EQ(v.tokens.size(), 128256u);
  EXPECT_EQ(v.tokens[220], "\xC4\xA0");  // "Ġ": the space byte in the GPT-2 alphabet
  EXPECT_EQ(v.tokens[128000], "<|begin_of_text|>");
  EXPECT_EQ(v.token_type[0], 1);
  EXPECT_EQ(v.token_type[128009], 3);
  EXPECT_EQ(v.pre, "llama-bpe");
  // Every split of every token into two tokens, as in the converted
  // merges.txt of Meta-Llama-3 on Hugging Face (280147 lines).
  EXPECT_EQ(v.merges.size(), 280147u);
  EXPECT_EQ(v.merges[0], "\xC4\xA0 \xC4\xA0");  // rank 256 is two spaces

  const Tokenizer back = Tokenizer::from_gguf(v);
  EXPECT_EQ(back.n_vocab(), tok.n_vocab());
  EXPECT_EQ(back.eot_id(), 128009);
  const auto g = golden();
  for (const auto& c : g["cases"])
    EXPECT_EQ(back.encode(c["text"].get<std::string>(), false, c["parse_special"].get<bool>()),
              c["ids"].get<std::vector<TokenId>>());
  EXPECT_EQ(back.encode(g["shakespeare"]["text"].get<std::string>()),
            g["shakespeare"]["ids"].get<std::vector<TokenId>>());
}
