// Tokenizer inputs from outside: tokenizer.json (byte-level and
// SentencePiece-style), tiktoken files, GGUF "llama" vocabularies, and any
// text to encode. Each either loads or throws lowbit::Error; encoding any
// bytes decodes back to the same bytes (checked, not just run).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "tokenizer/bpe_trainer.hpp"
#include "tokenizer/spm_model.hpp"
#include "tokenizer/stream_decoder.hpp"
#include "tokenizer/utf8.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {
void check_lossless(const lowbit::Tokenizer& t, std::string_view text) {
  const auto ids = t.encode(text, false, true);
  if (t.decode(ids) != text) std::abort();
  lowbit::StreamDecoder d(t);
  std::string streamed;
  for (lowbit::TokenId id : ids) streamed += d.push(id);
  streamed += d.finish();
  if (streamed != text) std::abort();
}

// A SentencePiece-style vocabulary from the input: its lines before the first
// empty line are pieces (score: minus the line number, or the first byte's
// value for lines starting with '#', to get ties), types from a suffix
// (|c control, |b byte, |u unused, |x unknown type id); the rest is text.
// Lossless for valid UTF-8 text when "▁" and all 256 byte tokens are there.
void spm_case(std::string_view in) {
  const size_t split = in.find("\n\n");
  const std::string_view head = in.substr(0, split == std::string_view::npos ? in.size() : split);
  const std::string_view text = split == std::string_view::npos ? std::string_view() : in.substr(split + 2);
  lowbit::GgufVocab v;
  v.model = "llama";
  auto add = [&](std::string_view p, float score, lowbit::TokenType t) {
    v.tokens.push_back(p);
    v.scores.push_back(score);
    v.token_type.push_back(int32_t(t));
  };
  add("<unk>", 0, lowbit::TokenType::Unknown);
  add("<s>", 0, lowbit::TokenType::Control);
  add(lowbit::kSpmSpace, 0, lowbit::TokenType::Normal);
  const bool with_bytes = !head.empty() && head[0] != '!';
  if (with_bytes)
    for (int b = 0; b < 256; ++b) add(lowbit::spm_byte_piece(uint8_t(b)), 0, lowbit::TokenType::Byte);
  size_t line = 0;
  for (size_t pos = 0; pos < head.size() && v.tokens.size() < 4096; ++line) {
    size_t end = head.find('\n', pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view p = head.substr(pos, end - pos);
    pos = end + 1;
    lowbit::TokenType t = lowbit::TokenType::Normal;
    if (p.size() >= 2 && p[p.size() - 2] == '|') {
      const char k = p.back();
      t = k == 'c' ? lowbit::TokenType::Control : k == 'b' ? lowbit::TokenType::Byte
        : k == 'u' ? lowbit::TokenType::Unused : k == 'x' ? lowbit::TokenType(7) : t;
      p.remove_suffix(2);
    }
    const float score = !p.empty() && p[0] == '#' && p.size() > 1 ? float(uint8_t(p[1]) % 4) : -float(line);
    add(p, score, t);
  }
  v.unk_id = 0;
  v.bos_id = 1;
  v.add_space_prefix = text.size() % 2 == 0;
  const auto t = lowbit::Tokenizer::from_gguf(v);
  const auto ids = t.encode(text, true, true);
  (void)t.decode(ids, true);
  if (!with_bytes || !v.add_space_prefix) return;
  // Valid UTF-8 only: there the characters the tokenizer cuts are the ones a
  // replace of "▁" sees. (Without parse_special no control piece is matched.)
  bool valid = true;
  for (size_t i = 0; i < text.size() && valid;) {
    uint32_t cp;
    valid = lowbit::utf8_next(text, i, cp);
  }
  if (!valid) return;
  const std::string want = lowbit::spm_unescape_spaces(text);
  const auto plain = t.encode(text);
  if (t.decode(plain) != want) std::abort();
  lowbit::StreamDecoder d(t);
  std::string streamed;
  for (lowbit::TokenId id : plain) streamed += d.push(id);
  streamed += d.finish();
  if (!text.empty() && streamed != " " + want) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {  // a tokenizer.json, then its own text through it
        const auto t = lowbit::Tokenizer::from_hf_json(in, "fuzz.json");
        (void)t.encode(in, true, true);
        break;
      }
      case 1: {
        const auto t = lowbit::Tokenizer::from_tiktoken(in, "fuzz.tiktoken", {"<|eot_id|>"});
        (void)t.encode(in, false, true);
        break;
      }
      case 3:
        spm_case(in);
        break;
      default: {  // text: train on it, then it must survive both tokenizers
        check_lossless(lowbit::Tokenizer::byte_level(), in);
        lowbit::BpeTrainOptions o;
        o.vocab_size = 300;
        o.min_frequency = 1;
        check_lossless(lowbit::Tokenizer::from_gguf(lowbit::train_bpe(in, o)), in);
        break;
      }
    }
  } catch (const lowbit::Error&) {
  }
  return 0;
}
