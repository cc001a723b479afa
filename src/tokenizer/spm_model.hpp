// SentencePiece-style BPE as LLaMA-2, Mistral and the ternary models built on
// them use it (GGUF tokenizer.ggml.model "llama"): pieces with U+2581 ("▁")
// for spaces, one score per piece, and 256 <0xXX> byte tokens for whatever
// the pieces do not cover.
//
// Encoding works on the whole text, with no pre-tokenizer: the text is cut
// into UTF-8 characters, and then the adjacent pair whose joined string is a
// normal piece with the highest score is merged, again and again (ties: the
// leftmost pair). A character that is not a piece becomes its bytes' byte
// tokens. This is what SentencePiece's BPE model and llama.cpp's SPM
// tokenizer both do; the scores alone decide the merge order.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/string_list.hpp"
#include "tokenizer/bpe_merge.hpp"
#include "tokenizer/gguf_vocab.hpp"

namespace lowbit {

// "▁", the space of SentencePiece pieces.
inline constexpr std::string_view kSpmSpace = "\xE2\x96\x81";

// The byte of a "<0xXX>" piece (either case of hex digits), or -1.
int spm_byte_of_piece(std::string_view piece);
// The "<0xXX>" piece of a byte, upper-case as SentencePiece writes it.
std::string spm_byte_piece(uint8_t b);
// Spaces to "▁" (what the text is matched against) and back (decoding).
std::string spm_escape_spaces(std::string_view text);
std::string spm_unescape_spaces(std::string_view piece);

class SpmModel {
 public:
  // `pieces`, `scores` and `types` are by token id and of one length (the
  // caller checks and names the keys). `unk` is the unknown token or -1.
  SpmModel(const StringList& pieces, std::vector<float> scores, const std::vector<TokenType>& types, TokenId unk);

  // Appends the ids of `text`, whose spaces are already "▁". Throws
  // lowbit::Error when a byte has neither a byte token nor an unknown token
  // to fall back to.
  void encode(std::string_view text, std::vector<TokenId>& out) const;

  const StringList& pieces() const { return pieces_; }
  const std::vector<float>& scores() const { return scores_; }

 private:
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // The normal piece with exactly this text (the lowest id on duplicates), or -1.
  TokenId find_piece(std::string_view text) const;
  void push_bytes(std::string_view chars, std::vector<TokenId>& out) const;

  StringList pieces_;
  std::vector<float> scores_;
  std::unordered_map<std::string, TokenId, StringHash, std::equal_to<>> normal_;
  std::array<TokenId, 256> byte_ids_{};
  TokenId unk_ = -1;
  size_t max_piece_bytes_ = 0;  // no pair longer than this can be a piece: no lookup
};

}  // namespace lowbit
