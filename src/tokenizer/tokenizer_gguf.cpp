// Tokenizer <-> the GGUF tokenizer vectors (llama.cpp's "gpt2" model): normal
// tokens in the GPT-2 byte-to-unicode form, control and user-defined tokens
// as their text, merges as "left right" in priority order.
#include "core/error.hpp"
#include "tokenizer/byte_unicode.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

namespace {
bool is_special_type(TokenType t) { return t == TokenType::Control || t == TokenType::UserDefined; }
}  // namespace

Tokenizer Tokenizer::from_gguf(const GgufVocab& v) {
  constexpr std::string_view src = "GGUF tokenizer";
  if (v.model == "llama") return from_gguf_llama(v);
  LOWBIT_CHECK(v.model == "gpt2",
               "tokenizer.ggml.model: '{}' is not supported (only 'gpt2', byte-level BPE, and 'llama', "
               "SentencePiece BPE)",
               v.model);
  LOWBIT_CHECK(!v.tokens.empty(), "tokenizer.ggml.tokens: empty");
  LOWBIT_CHECK(v.token_type.empty() || v.token_type.size() == v.tokens.size(),
               "tokenizer.ggml.token_type: {} entries for {} tokens", v.token_type.size(), v.tokens.size());
  Tokenizer t;
  // Raw bytes are never longer than their GPT-2 form.
  t.tokens_.reserve(v.tokens.size(), v.tokens.total_bytes());
  t.types_.resize(v.tokens.size());
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    const int32_t ty = v.token_type.empty() ? 1 : v.token_type[i];
    LOWBIT_CHECK(ty >= 1 && ty <= 6, "tokenizer.ggml.token_type[{}]: unknown type {}", i, ty);
    t.types_[i] = TokenType(ty);
    if (is_special_type(t.types_[i])) {
      t.tokens_.push_back(v.tokens[i]);
      continue;
    }
    auto bytes = unicode_to_bytes(v.tokens[i]);
    LOWBIT_CHECK(bytes.has_value(), "tokenizer.ggml.tokens[{}]: not in the byte-level (GPT-2) alphabet", i);
    t.tokens_.push_back(*bytes);
  }
  t.index_tokens();
  t.pairs_.reserve(v.merges.size());
  for (size_t i = 0; i < v.merges.size(); ++i) {
    const std::string_view m = v.merges[i];
    const size_t sp = m.find(' ');
    LOWBIT_CHECK(sp != std::string_view::npos && m.find(' ', sp + 1) == std::string_view::npos,
                 "tokenizer.ggml.merges[{}]: expected 'left right'", i);
    TokenId ids[2];
    for (int side = 0; side < 2; ++side) {
      const std::string_view part = side == 0 ? m.substr(0, sp) : m.substr(sp + 1);
      auto bytes = unicode_to_bytes(part);
      LOWBIT_CHECK(bytes && !bytes->empty(), "tokenizer.ggml.merges[{}]: not in the byte-level alphabet", i);
      ids[side] = t.find_normal(*bytes);
      LOWBIT_CHECK(ids[side] >= 0, "tokenizer.ggml.merges[{}]: '{}' is not a token", i, part);
    }
    t.add_merge(ids[0], ids[1], uint32_t(i), "tokenizer.ggml.merges", i);
  }
  t.pre_ = v.pre.empty() ? "llama-bpe" : v.pre;
  // llama.cpp does the same for the LLaMA-3 pre-tokenizer, as tiktoken does.
  t.ignore_merges_ = t.pre_ == "llama-bpe" || t.pre_ == "llama3";
  t.bos_ = v.bos_id;
  t.eos_ = v.eos_id;
  t.eot_ = v.eot_id;
  t.pad_ = v.pad_id;
  t.add_bos_ = v.add_bos;
  t.chat_template_ = v.chat_template;
  t.finish(src);
  return t;
}

GgufVocab Tokenizer::to_gguf() const {
  if (spm_) return to_gguf_llama();
  GgufVocab v;
  v.model = "gpt2";
  v.pre = pre_;
  v.token_type.reserve(tokens_.size());
  for (size_t i = 0; i < tokens_.size(); ++i) {
    v.tokens.push_back(is_special_type(types_[i]) ? std::string(tokens_[i]) : bytes_to_unicode(tokens_[i]));
    v.token_type.push_back(int32_t(types_[i]));
  }
  std::string merge;
  for (const PairTable::Rule& r : pairs_.rules()) {
    merge.assign(v.tokens[size_t(r.left)]);
    merge += ' ';
    merge += v.tokens[size_t(r.right)];
    v.merges.push_back(merge);
  }
  v.bos_id = bos_;
  v.eos_id = eos_;
  v.eot_id = eot_;
  v.pad_id = pad_;
  v.add_bos = add_bos_;
  v.chat_template = chat_template_;
  return v;
}

Tokenizer Tokenizer::byte_level(const std::vector<std::string>& specials) {
  Tokenizer t;
  for (int b = 0; b < 256; ++b) {
    const char c = char(b);
    t.tokens_.push_back(std::string_view(&c, 1));
    t.types_.push_back(TokenType::Normal);
  }
  for (const std::string& s : specials) {
    LOWBIT_CHECK(!s.empty(), "byte tokenizer: empty special token");
    t.tokens_.push_back(s);
    t.types_.push_back(TokenType::Control);
  }
  t.index_tokens();
  t.finish("byte tokenizer");
  t.guess_special_ids();
  return t;
}

}  // namespace lowbit
