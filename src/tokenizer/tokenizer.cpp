#include "tokenizer/tokenizer.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tokenizer/spm_model.hpp"

namespace lowbit {

std::vector<std::string> llama3_special_tokens() {
  std::vector<std::string> s = {
      "<|begin_of_text|>",           "<|end_of_text|>",
      "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
      "<|reserved_special_token_2|>", "<|reserved_special_token_3|>",
      "<|start_header_id|>",         "<|end_header_id|>",
      "<|reserved_special_token_4|>", "<|eot_id|>",
  };
  for (int i = 5; i < 256 - 5; ++i) s.push_back(fmt::format("<|reserved_special_token_{}|>", i));
  return s;
}

std::vector<std::string> small_special_tokens() {
  return {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"};
}

std::string_view pattern_for_pre(std::string_view pre, std::string_view source) {
  if (pre == "llama-bpe" || pre == "llama3" || pre.empty()) return kLlama3Pattern;
  if (pre == "gpt2" || pre == "default") return kGpt2Pattern;
  fail("{}: unsupported pre-tokenizer '{}' (supported: llama-bpe, gpt2)", source, pre);
}

// Long pieces (runs of whitespace or symbols) rarely repeat; caching them
// would only copy them.
constexpr size_t kMaxCachedPiece = 256;

// Token ids of the pieces already merged in this encode call: natural text
// repeats its words, so most pieces skip BPE. Per call, so encode stays const
// and thread-safe without locks.
class Tokenizer::PieceCache {
 public:
  const TokenId* find(std::string_view piece, size_t& n) const {
    auto it = map_.find(piece);
    if (it == map_.end()) return nullptr;
    n = it->second.second;
    return pool_.data() + it->second.first;
  }
  void add(std::string_view piece, const std::vector<TokenId>& ids) {
    map_.emplace(std::string(piece), std::pair<uint32_t, uint32_t>(uint32_t(pool_.size()), uint32_t(ids.size())));
    pool_.insert(pool_.end(), ids.begin(), ids.end());
  }

 private:
  std::unordered_map<std::string, std::pair<uint32_t, uint32_t>, StringHash, std::equal_to<>> map_;
  std::vector<TokenId> pool_;
};

namespace {
uint64_t bytes_hash(std::string_view s) { return mix_hash(std::hash<std::string_view>{}(s)); }
bool is_special_type(TokenType t) { return t == TokenType::Control || t == TokenType::UserDefined; }
}  // namespace

void Tokenizer::add_merge(TokenId left, TokenId right, uint32_t priority, std::string_view source, size_t index) {
  std::string merged(tokens_[size_t(left)]);
  merged += tokens_[size_t(right)];
  const TokenId result = find_normal(merged);
  LOWBIT_CHECK(result >= 0, "{}: merges[{}]: the merged token is not in the vocabulary", source, index);
  pairs_.add(left, right, {priority, result});
}

TokenId Tokenizer::find_normal(std::string_view bytes) const {
  const uint32_t id = normal_index_.find(bytes_hash(bytes), [&](uint32_t i) { return tokens_[i] == bytes; });
  return id == FlatIndex::kNone ? -1 : TokenId(id);
}

void Tokenizer::index_tokens() {
  byte_ids_.fill(-1);
  specials_.clear();
  const size_t n = std::min(tokens_.size(), types_.size());
  size_t n_normal = 0;
  for (size_t i = 0; i < n; ++i) n_normal += !is_special_type(types_[i]);
  normal_index_ = FlatIndex(n_normal, n);
  for (size_t i = 0; i < n; ++i) {
    const std::string_view tok = tokens_[i];
    if (is_special_type(types_[i])) {
      if (!tok.empty()) specials_.push_back({std::string(tok), TokenId(i), types_[i] == TokenType::UserDefined});
      continue;
    }
    // SentencePiece byte and unknown tokens hold a byte or a name, not text
    // that a normal token could also be. llama.cpp parses "<unk>" in the
    // text like a control token when asked to.
    if (spm_ && types_[i] == TokenType::Unknown && !tok.empty())
      specials_.push_back({std::string(tok), TokenId(i), false});
    if (spm_ && (types_[i] == TokenType::Byte || types_[i] == TokenType::Unknown)) continue;
    if (find_normal(tok) < 0) normal_index_.insert(bytes_hash(tok), uint32_t(i));  // on duplicates the lowest id wins
    if (tok.size() == 1 && byte_ids_[uint8_t(tok[0])] < 0) byte_ids_[uint8_t(tok[0])] = TokenId(i);
  }
}

void Tokenizer::finish(std::string_view source) {
  LOWBIT_CHECK(types_.size() == tokens_.size(), "{}: {} token types for {} tokens", source, types_.size(),
               tokens_.size());
  pretok_ = std::make_shared<const PreTokenizer>(std::string(pattern_for_pre(pre_, source)));
  for (auto& v : special_by_first_) v.clear();
  has_always_special_ = false;
  std::stable_sort(specials_.begin(), specials_.end(),
                   [](const Special& a, const Special& b) { return a.text.size() > b.text.size(); });
  for (size_t i = 0; i < specials_.size(); ++i) {
    special_by_first_[uint8_t(specials_[i].text[0])].push_back(int(i));
    has_always_special_ |= specials_[i].always;
  }
  for (TokenId* id : {&bos_, &eos_, &eot_, &pad_})
    LOWBIT_CHECK(*id >= -1 && *id < n_vocab(), "{}: special token id {} outside the vocabulary of {}", source, *id,
                 n_vocab());
}

void Tokenizer::guess_special_ids() {
  auto first_of = [&](std::initializer_list<std::string_view> names) -> TokenId {
    for (std::string_view n : names)
      for (const Special& s : specials_)
        if (s.text == n) return s.id;
    return -1;
  };
  if (bos_ < 0) bos_ = first_of({"<|begin_of_text|>", "<s>", "<|bos|>"});
  if (eos_ < 0) eos_ = first_of({"<|end_of_text|>", "</s>", "<|endoftext|>", "<|eos|>"});
  if (eot_ < 0) eot_ = first_of({"<|eot_id|>", "<|im_end|>"});
  if (unk_ < 0)
    for (size_t i = 0; i < types_.size(); ++i)
      if (types_[i] == TokenType::Unknown) {
        unk_ = TokenId(i);
        break;
      }
}

void Tokenizer::set_special_ids(TokenId bos, TokenId eos, TokenId eot, TokenId pad) {
  for (TokenId id : {bos, eos, eot, pad})
    LOWBIT_CHECK(id >= -1 && id < n_vocab(), "tokenizer: special token id {} outside the vocabulary of {}", id,
                 n_vocab());
  bos_ = bos;
  eos_ = eos;
  eot_ = eot;
  pad_ = pad;
}

TokenId Tokenizer::byte_token(uint8_t b) const {
  const TokenId id = byte_ids_[b];
  LOWBIT_CHECK(id >= 0, "tokenizer: the vocabulary has no token for byte 0x{:02x}", b);
  return id;
}

std::pair<size_t, int> Tokenizer::find_special(std::string_view text, size_t pos, bool parse_special) const {
  if (specials_.empty() || (!parse_special && !has_always_special_)) return {std::string_view::npos, -1};
  for (size_t i = pos; i < text.size(); ++i) {
    for (int k : special_by_first_[uint8_t(text[i])]) {
      const Special& s = specials_[size_t(k)];
      if ((parse_special || s.always) && text.compare(i, s.text.size(), s.text) == 0) return {i, k};
    }
  }
  return {std::string_view::npos, -1};
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 2);
  if (add_bos) {
    LOWBIT_CHECK(bos_ >= 0, "tokenizer: a BOS token was asked for but the vocabulary has none");
    out.push_back(bos_);
  }
  PieceCache cache;
  size_t pos = 0;
  while (pos < text.size()) {
    const auto [at, k] = find_special(text, pos, parse_special);
    const size_t end = k < 0 ? text.size() : at;
    if (spm_) {
      // Each run of text starts a "sentence" of its own, so each gets the
      // dummy prefix: llama.cpp puts it after every special token.
      if (end > pos) {
        std::string escaped = add_space_prefix_ ? std::string(kSpmSpace) : std::string();
        escaped += spm_escape_spaces(text.substr(pos, end - pos));
        spm_->encode(escaped, out);
      }
    } else {
      encode_ordinary(text.substr(pos, end - pos), out, cache);
    }
    if (k < 0) break;
    out.push_back(specials_[size_t(k)].id);
    pos = at + specials_[size_t(k)].text.size();
  }
  return out;
}

void Tokenizer::encode_ordinary(std::string_view text, std::vector<TokenId>& out, PieceCache& cache) const {
  if (text.empty()) return;
  if (pairs_.rules().empty()) {  // the byte tokenizer: pieces would not change anything
    for (char c : text) out.push_back(byte_token(uint8_t(c)));
    return;
  }
  pretok_->split(text, [&](std::string_view piece) { encode_piece(piece, out, cache); });
}

void Tokenizer::encode_piece(std::string_view piece, std::vector<TokenId>& out, PieceCache& cache) const {
  if (piece.size() == 1) {
    out.push_back(byte_token(uint8_t(piece[0])));
    return;
  }
  if (ignore_merges_) {
    if (const TokenId id = find_normal(piece); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  size_t n = 0;
  if (const TokenId* hit = cache.find(piece, n)) {
    out.insert(out.end(), hit, hit + n);
    return;
  }
  std::vector<TokenId> ids(piece.size());
  for (size_t i = 0; i < piece.size(); ++i) ids[i] = byte_token(uint8_t(piece[i]));
  bpe_merge(pairs_, ids);
  if (piece.size() <= kMaxCachedPiece) cache.add(piece, ids);
  out.insert(out.end(), ids.begin(), ids.end());
}

std::string_view Tokenizer::token_bytes(TokenId id) const {
  LOWBIT_CHECK(id >= 0 && id < n_vocab(), "tokenizer: token id {} outside the vocabulary of {}", id, n_vocab());
  return tokens_[size_t(id)];
}

TokenType Tokenizer::token_type(TokenId id) const {
  LOWBIT_CHECK(id >= 0 && id < n_vocab(), "tokenizer: token id {} outside the vocabulary of {}", id, n_vocab());
  return types_[size_t(id)];
}

bool Tokenizer::is_special(TokenId id) const { return is_special_type(token_type(id)); }

std::optional<TokenId> Tokenizer::find_token(std::string_view bytes) const {
  if (const TokenId id = find_normal(bytes); id >= 0) return id;
  for (const Special& s : specials_)
    if (s.text == bytes) return s.id;
  return std::nullopt;
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool skip_special) const {
  std::string out;
  bool at_start = true;
  for (TokenId id : ids) {
    std::string_view b = token_bytes(id);
    if (skip_special && is_special(id)) continue;
    if (at_start && add_space_prefix() && !is_special(id) && !b.empty() && b[0] == ' ') b.remove_prefix(1);
    at_start = false;
    out += b;
  }
  return out;
}

}  // namespace lowbit
