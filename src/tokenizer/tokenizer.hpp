// Byte-level BPE tokenizer (GPT-2 / LLaMA-3 style) and its degenerate case,
// the byte tokenizer (256 byte ids, no merges). One class, several sources:
// a tiktoken ranks file, the GGUF tokenizer vectors, a Hugging Face
// tokenizer.json, or the BPE trainer (bpe_trainer.hpp).
//
// The same class also runs SentencePiece-style BPE (LLaMA-2, Mistral: GGUF
// model "llama", tokenizer.json BPE with byte_fallback), through SpmModel
// (spm_model.hpp): the text gets "▁" for spaces and a leading space, and is
// merged by piece score with no pre-tokenizer. Such a tokenizer keeps each
// token's decoded bytes (" " for "▁", the byte of a <0xXX> token), so
// token_bytes, decode and StreamDecoder work unchanged.
//
// Encoding: special tokens are cut out first (control tokens only when asked,
// user-defined ones always), the rest is pre-tokenized by the regex, and each
// piece is merged by BPE from its bytes. Special tokens are never produced by
// merging. encode/decode are const and keep no shared state: thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/flat_index.hpp"
#include "core/string_list.hpp"
#include "tokenizer/bpe_merge.hpp"
#include "tokenizer/gguf_vocab.hpp"
#include "tokenizer/pretokenizer.hpp"

namespace lowbit {

// LLaMA-3's 256 special tokens, in id order after the 128000 ranks:
// <|begin_of_text|>, <|end_of_text|>, reserved 0-3, <|start_header_id|>,
// <|end_header_id|>, reserved 4, <|eot_id|>, reserved 5-250.
std::vector<std::string> llama3_special_tokens();
// The specials the byte tokenizer and the trainer append by default:
// <|begin_of_text|>, <|end_of_text|>, <|start_header_id|>, <|end_header_id|>, <|eot_id|>.
std::vector<std::string> small_special_tokens();

// The regex of a GGUF pre-tokenizer name ("llama-bpe", "gpt2"); throws
// lowbit::Error naming `source` for names we do not know.
std::string_view pattern_for_pre(std::string_view pre, std::string_view source);

class SpmModel;

class Tokenizer {
 public:
  // tiktoken ranks (`base64(bytes) rank` per line; rank = id = merge
  // priority), then `specials` as control tokens with the following ids.
  // `source` names the input in error messages.
  static Tokenizer from_tiktoken(std::string_view contents, std::string_view source,
                                 const std::vector<std::string>& specials);
  // The LLaMA-3 / BitNet b1.58 tokenizer from its tiktoken file.
  static Tokenizer load_llama3_tiktoken(const std::string& path);
  // tokenizer.ggml.model "gpt2" or "llama" (tokenizer_gguf*.cpp).
  static Tokenizer from_gguf(const GgufVocab& v);
  // A Hugging Face tokenizer.json (model.type BPE: byte-level, or with
  // byte_fallback the LLaMA-2 / SentencePiece kind).
  static Tokenizer from_hf_json(std::string_view text, std::string_view source);
  static Tokenizer load_hf_json(const std::string& path);
  // 256 byte tokens (id = byte value), then `specials`.
  static Tokenizer byte_level(const std::vector<std::string>& specials = small_special_tokens());

  // Takes bos/eos tokens, add_bos_token and chat_template from a Hugging Face
  // tokenizer_config.json (fields absent there keep their current value).
  void apply_hf_config(std::string_view text, std::string_view source);

  GgufVocab to_gguf() const;
  // A tokenizer.json in Hugging Face's layout (BPE model, LLaMA-3 Split +
  // ByteLevel pre-tokenizer) that from_hf_json reads back.
  // Byte-level only: throws lowbit::Error for a SentencePiece tokenizer.
  std::string to_hf_json() const;

  // SentencePiece kind: every run of text between special tokens gets the
  // leading space when add_space_prefix() (llama.cpp does the same). No EOS
  // is appended here; add_eos() says whether the model wants one.
  std::vector<TokenId> encode(std::string_view text, bool add_bos = false, bool parse_special = false) const;
  // The bytes of the tokens (special tokens as their text, unless skipped).
  // SentencePiece kind with add_space_prefix(): one space is dropped from the
  // start of the text when nothing came before it (a skipped special counts
  // as nothing), as llama.cpp and SentencePiece drop the prefix they added.
  // Throws lowbit::Error on an id outside the vocabulary.
  std::string decode(std::span<const TokenId> ids, bool skip_special = false) const;
  std::string_view token_bytes(TokenId id) const;

  int32_t n_vocab() const { return int32_t(tokens_.size()); }
  size_t n_merges() const { return pairs_.rules().size(); }
  TokenType token_type(TokenId id) const;
  bool is_special(TokenId id) const;  // control or user-defined
  // A normal token with exactly these bytes, or a special with this text.
  std::optional<TokenId> find_token(std::string_view bytes) const;

  TokenId bos_id() const { return bos_; }
  TokenId eos_id() const { return eos_; }
  TokenId eot_id() const { return eot_; }
  TokenId pad_id() const { return pad_; }
  TokenId unk_id() const { return unk_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  // SentencePiece kind only (false for byte-level BPE).
  bool is_sentencepiece() const { return spm_ != nullptr; }
  bool add_space_prefix() const { return spm_ != nullptr && add_space_prefix_; }
  // End of generation: eos or eot.
  bool is_eog(TokenId id) const { return id >= 0 && (id == eos_ || id == eot_); }
  void set_special_ids(TokenId bos, TokenId eos, TokenId eot, TokenId pad = -1);

  const std::string& pre() const { return pre_; }
  const std::string& chat_template() const { return chat_template_; }
  void set_chat_template(std::string t) { chat_template_ = std::move(t); }

 private:
  struct Special {
    std::string text;
    TokenId id;
    bool always;  // user-defined: matched even without parse_special
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  class PieceCache;

  Tokenizer() = default;
  static Tokenizer from_hf_json_unchecked(std::string_view text, std::string_view source);
  // The SentencePiece kinds (tokenizer_gguf_spm.cpp, tokenizer_hf_spm.cpp).
  static Tokenizer from_gguf_llama(const GgufVocab& v);
  static Tokenizer from_hf_json_spm(std::string_view text, std::string_view source);
  // tokens_ (decoded bytes), spm_ and the indexes from GGUF-form pieces and
  // types_ (already set); `source` prefixes the error messages.
  void init_sentencepiece(const StringList& pieces, std::vector<float> scores, std::string_view source);
  GgufVocab to_gguf_llama() const;
  void apply_hf_config_unchecked(std::string_view text, std::string_view source);
  // The pre-tokenizer and the specials' lookup tables, after index_tokens()
  // and the merges; checks the special ids.
  void finish(std::string_view source);
  // normal_index_, byte_ids_ and specials_ from tokens_ and types_.
  void index_tokens();
  // The normal token with exactly these bytes (the lowest id on duplicates), or -1.
  TokenId find_normal(std::string_view bytes) const;
  // bos/eos/eot from the usual special token names, where not set.
  void guess_special_ids();
  // Adds the rule left + right -> the token of their bytes to pairs_ (needs index_tokens() first).
  void add_merge(TokenId left, TokenId right, uint32_t priority, std::string_view source, size_t index);
  void encode_ordinary(std::string_view text, std::vector<TokenId>& out, PieceCache& cache) const;
  void encode_piece(std::string_view piece, std::vector<TokenId>& out, PieceCache& cache) const;
  TokenId byte_token(uint8_t b) const;
  // First special at or after `pos` that may be matched: {offset, index} or
  // {npos, -1}.
  std::pair<size_t, int> find_special(std::string_view text, size_t pos, bool parse_special) const;

  StringList tokens_;                // raw bytes; specials as their text
  std::vector<TokenType> types_;
  PairTable pairs_;                  // the merges, in priority order, indexed by pair
  std::string pre_ = "llama-bpe";
  bool ignore_merges_ = false;       // a piece that is a whole token is taken as is (tiktoken, LLaMA-3)
  TokenId bos_ = -1, eos_ = -1, eot_ = -1, pad_ = -1, unk_ = -1;
  bool add_bos_ = true;
  bool add_eos_ = false;
  bool add_space_prefix_ = true;           // SentencePiece kind only
  std::shared_ptr<const SpmModel> spm_;    // set for the SentencePiece kind
  std::string chat_template_;

  // Derived by index_tokens() and finish().
  FlatIndex normal_index_;           // positions are token ids
  std::array<TokenId, 256> byte_ids_{};
  std::vector<Special> specials_;                   // longest first
  std::array<std::vector<int>, 256> special_by_first_{};  // indices into specials_
  bool has_always_special_ = false;
  std::shared_ptr<const PreTokenizer> pretok_;
};

}  // namespace lowbit
