// Tokenizer <-> the GGUF tokenizer vectors of llama.cpp's "llama" model
// (SentencePiece BPE): pieces with "▁" for spaces, one score per piece, token
// types, <0xXX> byte tokens, add_space_prefix. What llama.cpp's converter
// writes from a tokenizer.model, and what bitnet.cpp's and MMfreeLM's GGUFs hold.
#include <cmath>

#include "core/error.hpp"
#include "tokenizer/spm_model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

void Tokenizer::init_sentencepiece(const StringList& pieces, std::vector<float> scores, std::string_view source) {
  LOWBIT_CHECK(types_.size() == pieces.size(), "{}: {} token types for {} tokens", source, types_.size(),
               pieces.size());
  tokens_ = StringList();
  tokens_.reserve(pieces.size(), pieces.total_bytes());
  for (size_t i = 0; i < pieces.size(); ++i) {
    const std::string_view p = pieces[i];
    switch (types_[i]) {
      case TokenType::Normal:
      case TokenType::Unused:
        tokens_.push_back(spm_unescape_spaces(p));
        break;
      case TokenType::Byte: {
        const int b = spm_byte_of_piece(p);
        LOWBIT_CHECK(b >= 0, "{}: token {} '{}' has the byte type but is not <0xXX>", source, i, p);
        const char c = char(b);
        tokens_.push_back(std::string_view(&c, 1));
        break;
      }
      default:  // unknown, control, user-defined: their text
        tokens_.push_back(p);
    }
  }
  spm_ = std::make_shared<const SpmModel>(pieces, std::move(scores), types_, unk_);
  pre_ = "default";
  index_tokens();
  finish(source);
}

Tokenizer Tokenizer::from_gguf_llama(const GgufVocab& v) {
  LOWBIT_CHECK(!v.tokens.empty(), "tokenizer.ggml.tokens: empty");
  LOWBIT_CHECK(v.scores.size() == v.tokens.size(), "tokenizer.ggml.scores: {} entries for {} tokens",
               v.scores.size(), v.tokens.size());
  LOWBIT_CHECK(v.token_type.empty() || v.token_type.size() == v.tokens.size(),
               "tokenizer.ggml.token_type: {} entries for {} tokens", v.token_type.size(), v.tokens.size());
  for (size_t i = 0; i < v.scores.size(); ++i)
    LOWBIT_CHECK(std::isfinite(v.scores[i]), "tokenizer.ggml.scores[{}]: not a finite number", i);
  const auto n = int64_t(v.tokens.size());
  LOWBIT_CHECK(v.unk_id >= -1 && v.unk_id < n, "tokenizer.ggml.unknown_token_id: {} outside the vocabulary of {}",
               v.unk_id, n);
  Tokenizer t;
  t.types_.resize(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    if (v.token_type.empty()) {
      // No types (the key is optional for llama.cpp): without the byte type
      // the <0xXX> pieces would be text and byte fallback would be lost, so
      // infer what a converter would have written.
      const auto id = int32_t(i);
      t.types_[i] = spm_byte_of_piece(v.tokens[i]) >= 0 ? TokenType::Byte
                    : id == v.unk_id                    ? TokenType::Unknown
                    : id == v.bos_id || id == v.eos_id  ? TokenType::Control
                                                        : TokenType::Normal;
      continue;
    }
    const int32_t ty = v.token_type[i];
    LOWBIT_CHECK(ty >= 1 && ty <= 6, "tokenizer.ggml.token_type[{}]: unknown type {}", i, ty);
    t.types_[i] = TokenType(ty);
  }
  t.unk_ = v.unk_id;
  t.bos_ = v.bos_id;
  t.eos_ = v.eos_id;
  t.eot_ = v.eot_id;
  t.pad_ = v.pad_id;
  t.add_bos_ = v.add_bos;
  t.add_eos_ = v.add_eos;
  t.add_space_prefix_ = v.add_space_prefix;
  t.chat_template_ = v.chat_template;
  t.init_sentencepiece(v.tokens, v.scores, "tokenizer.ggml.tokens");
  return t;
}

GgufVocab Tokenizer::to_gguf_llama() const {
  GgufVocab v;
  v.model = "llama";
  v.pre = "default";
  v.tokens = spm_->pieces();
  v.scores = spm_->scores();
  v.token_type.reserve(types_.size());
  for (TokenType ty : types_) v.token_type.push_back(int32_t(ty));
  v.bos_id = bos_;
  v.eos_id = eos_;
  v.eot_id = eot_;
  v.pad_id = pad_;
  v.unk_id = unk_;
  v.add_bos = add_bos_;
  v.add_eos = add_eos_;
  v.add_space_prefix = add_space_prefix_;
  v.chat_template = chat_template_;
  return v;
}

}  // namespace lowbit
