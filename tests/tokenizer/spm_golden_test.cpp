// The SentencePiece-style (LLaMA-2) tokenizer against SentencePiece itself:
// tests/reference/spm_ref.py trained a tiny BPE model with byte fallback and
// wrote its vocabulary (as llama.cpp's converter writes it to GGUF), the same
// model as a Hugging Face tokenizer.json, and sp.encode's ids and sp.decode's
// text for each string (golden/tokenizer_spm.json).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tokenizer/stream_decoder.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8.hpp"

using namespace lowbit;
using Ids = std::vector<TokenId>;

namespace {
const nlohmann::json& golden() {
  static const nlohmann::json g = [] {
    std::ifstream in(std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/tokenizer_spm.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str());
  }();
  return g;
}

GgufVocab golden_vocab() {
  const auto& g = golden();
  GgufVocab v;
  v.model = "llama";
  v.pre = "default";
  for (const auto& p : g["pieces"]) v.tokens.push_back(p.get<std::string>());
  v.scores = g["scores"].get<std::vector<float>>();
  v.token_type = g["types"].get<std::vector<int32_t>>();
  v.bos_id = g["bos_id"];
  v.eos_id = g["eos_id"];
  v.unk_id = g["unk_id"];
  return v;
}

const Tokenizer& from_gguf() {
  static const Tokenizer t = Tokenizer::from_gguf(golden_vocab());
  return t;
}
const Tokenizer& from_hf() {
  static const Tokenizer t = Tokenizer::from_hf_json(golden()["hf_tokenizer"].dump(), "spm tokenizer.json");
  return t;
}

Ids case_ids(std::string_view text) {
  for (const auto& c : golden()["cases"])
    if (c["text"] == text) return c["ids"].get<Ids>();
  ADD_FAILURE() << "no golden case " << text;
  return {};
}

void expect_matches_sentencepiece(const Tokenizer& tok) {
  const auto& cases = golden()["cases"];
  ASSERT_GE(cases.size(), 40u);
  size_t n = 0;
  for (const auto& c : cases) {
    const std::string text = c["text"];
    const Ids want = c["ids"].get<Ids>();
    EXPECT_EQ(tok.encode(text), want) << "text: '" << text << "'";
    // SentencePiece's own decode; equal to the text except where the text
    // has a literal "▁", which SentencePiece cannot tell from a space.
    const std::string decoded = c["decoded"];
    EXPECT_EQ(tok.decode(want), decoded) << "text: '" << text << "'";
    if (text.find("\xE2\x96\x81") == std::string::npos) {
      EXPECT_EQ(decoded, text);
      ++n;
    }
  }
  EXPECT_GE(n, 40u);
}
}  // namespace

TEST(SpmGolden, GgufVocabularyEncodesAsSentencePiece) { expect_matches_sentencepiece(from_gguf()); }

TEST(SpmGolden, HfTokenizerJsonEncodesAsSentencePiece) { expect_matches_sentencepiece(from_hf()); }

TEST(SpmGolden, GoldenCoversByteFallbackAndWhitespace) {
  // The strings are meant to reach byte fallback (newline, tab, CJK, emoji are
  // not pieces of the tiny model) and runs of "▁"; make sure they still do.
  const auto& g = golden();
  const auto types = g["types"].get<std::vector<int32_t>>();
  size_t byte_ids = 0;
  for (const auto& c : g["cases"])
    for (TokenId id : c["ids"].get<Ids>()) byte_ids += types[size_t(id)] == int32_t(TokenType::Byte);
  EXPECT_GE(byte_ids, 100u);
  EXPECT_EQ(case_ids("\n"), (Ids{from_gguf().find_token(" ").value(), 13}));  // "▁" then <0x0A>
}

TEST(SpmGolden, VocabularyShape) {
  const Tokenizer& t = from_gguf();
  EXPECT_TRUE(t.is_sentencepiece());
  EXPECT_TRUE(t.add_space_prefix());
  EXPECT_EQ(t.n_vocab(), 600);
  EXPECT_EQ(t.unk_id(), 0);
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  EXPECT_EQ(t.token_type(0), TokenType::Unknown);
  EXPECT_EQ(t.token_type(1), TokenType::Control);
  EXPECT_EQ(t.token_type(3), TokenType::Byte);
  EXPECT_EQ(t.token_bytes(3 + 0x41), "A");  // <0x41>
  EXPECT_EQ(t.token_bytes(0), "<unk>");
  EXPECT_EQ(t.find_token("<unk>"), 0);
  EXPECT_EQ(t.find_token("<s>"), 1);
  // "A" the byte token is not "A" the text piece (or there is none).
  const auto a = t.find_token("A");
  if (a) {
    EXPECT_EQ(t.token_type(*a), TokenType::Normal);
  }
}

TEST(SpmGolden, HfJsonGivesTheSameTypesAndSpecials) {
  const Tokenizer& h = from_hf();
  const Tokenizer& g = from_gguf();
  ASSERT_EQ(h.n_vocab(), g.n_vocab());
  for (TokenId i = 0; i < g.n_vocab(); ++i) {
    EXPECT_EQ(h.token_type(i), g.token_type(i)) << i;
    EXPECT_EQ(h.token_bytes(i), g.token_bytes(i)) << i;
  }
  EXPECT_EQ(h.bos_id(), 1);
  EXPECT_EQ(h.eos_id(), 2);
  EXPECT_EQ(h.unk_id(), 0);
  EXPECT_TRUE(h.add_space_prefix());
  // What `lowbit convert` writes: the "llama" vocabulary, pieces as in the file.
  const GgufVocab v = h.to_gguf();
  EXPECT_EQ(v.model, "llama");
  EXPECT_EQ(v.tokens.size(), 600u);
  EXPECT_EQ(v.scores.size(), 600u);
  EXPECT_EQ(v.tokens[259], golden()["pieces"][259].get<std::string>());
  EXPECT_EQ(v.unk_id, 0);
}

TEST(SpmGolden, GgufRoundTripKeepsTheVocabulary) {
  const GgufVocab in = golden_vocab();
  const GgufVocab out = from_gguf().to_gguf();
  EXPECT_EQ(out.model, "llama");
  ASSERT_EQ(out.tokens.size(), in.tokens.size());
  for (size_t i = 0; i < in.tokens.size(); ++i) EXPECT_EQ(out.tokens[i], in.tokens[i]) << i;
  EXPECT_EQ(out.scores, in.scores);
  EXPECT_EQ(out.token_type, in.token_type);
  EXPECT_EQ(out.unk_id, 0);
  EXPECT_TRUE(out.add_space_prefix);
}

TEST(SpmGolden, BosAndParsedSpecialsGetTheirOwnPrefix) {
  const Tokenizer& t = from_gguf();
  const Ids hello = case_ids("Hello");
  Ids want = {1};
  want.insert(want.end(), hello.begin(), hello.end());
  EXPECT_EQ(t.encode("Hello", true), want);
  // llama.cpp: the text after a special token starts a new "sentence" with
  // its own dummy prefix, so " world" after </s> is sp.encode(" world").
  want.push_back(2);
  const Ids world = case_ids(" world");
  want.insert(want.end(), world.begin(), world.end());
  EXPECT_EQ(t.encode("<s>Hello</s> world", false, true), want);
  // "<unk>" is parsed like a control token (llama.cpp), and only when asked.
  EXPECT_EQ(t.encode("<unk>", false, true), (Ids{0}));
  EXPECT_GT(t.encode("<unk>").size(), 1u);
  // Without parse_special "<s>" is text, as for SentencePiece.
  EXPECT_EQ(t.encode("<s>Hello</s>"), case_ids("<s>Hello</s>"));
  // Decoding: a skipped BOS leaves the prefix space to drop; a kept one is
  // text before it, so the space stays (llama.cpp's detokenize).
  Ids with_bos = {1};
  with_bos.insert(with_bos.end(), hello.begin(), hello.end());
  EXPECT_EQ(t.decode(with_bos, true), "Hello");
  EXPECT_EQ(t.decode(with_bos, false), "<s> Hello");
}

TEST(SpmGolden, StreamDecoderReassemblesByteTokens) {
  const Tokenizer& t = from_gguf();
  for (const auto& c : golden()["cases"]) {
    const std::string text = c["text"];
    if (text.empty() || text.find("\xE2\x96\x81") != std::string::npos) continue;
    StreamDecoder d(t);
    std::string streamed;
    for (TokenId id : c["ids"].get<Ids>()) {
      const std::string piece = d.push(id);
      EXPECT_EQ(utf8_complete_prefix(piece), piece.size()) << "split character in '" << text << "'";
      streamed += piece;
    }
    streamed += d.finish();
    // A stream is a continuation, so it keeps the prefix space.
    EXPECT_EQ(streamed, " " + text);
  }
}

TEST(SpmGolden, LongUnseenTextMatchesSentencePiece) {
  const auto& l = golden()["long"];
  const std::string text = l["text"];
  const Ids want = l["ids"].get<Ids>();
  ASSERT_GT(want.size(), 10000u);
  for (const Tokenizer* t : {&from_gguf(), &from_hf()}) {
    const Ids got = t->encode(text);
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want) << "first difference at "
                             << std::mismatch(got.begin(), got.end(), want.begin(), want.end()).first - got.begin();
    EXPECT_EQ(t->decode(want), text);
  }
}

TEST(SpmGolden, MissingTokenTypesAreInferred) {
  // Types are optional in GGUF: <0xXX> pieces are then byte tokens, unk/bos/eos
  // unknown and control, so the encoding is still SentencePiece's.
  GgufVocab v = golden_vocab();
  v.token_type.clear();
  const Tokenizer t = Tokenizer::from_gguf(v);
  for (TokenId i = 0; i < t.n_vocab(); ++i) EXPECT_EQ(t.token_type(i), from_gguf().token_type(i)) << i;
  for (const auto& c : golden()["cases"]) EXPECT_EQ(t.encode(c["text"].get<std::string>()), c["ids"].get<Ids>());
}
