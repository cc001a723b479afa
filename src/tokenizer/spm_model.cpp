#include "tokenizer/spm_model.hpp"

#include <algorithm>
#include <queue>

#include "core/error.hpp"
#include "core/hex_digit.hpp"
#include "tokenizer/utf8.hpp"

namespace lowbit {

namespace {
// The length of the UTF-8 character at text[pos]. A byte that does not start
// a complete sequence (a stray continuation byte, an invalid lead byte, a
// lead byte without all its continuation bytes) is a character of its own,
// and then falls back to its byte token. llama.cpp looks at the lead byte
// only, so a truncated sequence there swallows the next character (an
// escaped space, say) and decodes to other text; on valid UTF-8 the two agree.
size_t char_length(std::string_view text, size_t pos) {
  const auto lead = uint8_t(text[pos]);
  size_t n = 1;
  if ((lead & 0xE0) == 0xC0)
    n = 2;
  else if ((lead & 0xF0) == 0xE0)
    n = 3;
  else if ((lead & 0xF8) == 0xF0)
    n = 4;
  if (n > text.size() - pos) return 1;
  for (size_t k = 1; k < n; ++k)
    if ((uint8_t(text[pos + k]) & 0xC0) != 0x80) return 1;
  return n;
}
}  // namespace

int spm_byte_of_piece(std::string_view p) {
  if (p.size() != 6 || p.substr(0, 3) != "<0x" || p[5] != '>') return -1;
  const int hi = hex_digit(p[3]), lo = hex_digit(p[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

std::string spm_byte_piece(uint8_t b) { return fmt::format("<0x{:02X}>", b); }

std::string spm_escape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (c == ' ')
      out += kSpmSpace;
    else
      out += c;
  }
  return out;
}

std::string spm_unescape_spaces(std::string_view piece) {
  std::string out;
  out.reserve(piece.size());
  for (size_t i = 0; i < piece.size();) {
    if (piece.compare(i, kSpmSpace.size(), kSpmSpace) == 0) {
      out += ' ';
      i += kSpmSpace.size();
    } else {
      out += piece[i++];
    }
  }
  return out;
}

SpmModel::SpmModel(const StringList& pieces, std::vector<float> scores, const std::vector<TokenType>& types,
                   TokenId unk)
    : pieces_(pieces), scores_(std::move(scores)), unk_(unk) {
  byte_ids_.fill(-1);
  normal_.reserve(pieces_.size());
  for (size_t i = 0; i < pieces_.size(); ++i) {
    const std::string_view p = pieces_[i];
    if (types[i] == TokenType::Byte) {
      const int b = spm_byte_of_piece(p);
      if (b >= 0 && byte_ids_[size_t(b)] < 0) byte_ids_[size_t(b)] = TokenId(i);
    } else if (types[i] == TokenType::Normal && !p.empty()) {
      normal_.emplace(std::string(p), TokenId(i));  // keeps the first (lowest id) on duplicates
      max_piece_bytes_ = std::max(max_piece_bytes_, p.size());
    }
  }
}

TokenId SpmModel::find_piece(std::string_view text) const {
  auto it = normal_.find(text);
  return it == normal_.end() ? -1 : it->second;
}

void SpmModel::push_bytes(std::string_view chars, std::vector<TokenId>& out) const {
  for (char c : chars) {
    TokenId id = byte_ids_[uint8_t(c)];
    if (id < 0) id = find_piece(std::string_view(&c, 1));  // llama.cpp's second try: the byte as a piece
    if (id < 0) id = unk_;  // SentencePiece without byte_fallback
    LOWBIT_CHECK(id >= 0, "tokenizer: the vocabulary has neither a byte token for 0x{:02x} nor an unknown token",
                 uint8_t(c));
    out.push_back(id);
  }
}

void SpmModel::encode(std::string_view text, std::vector<TokenId>& out) const {
  if (text.empty()) return;
  // The symbols: a doubly linked list over the text, one per character at
  // first; a merge grows the left symbol and unlinks the right one.
  struct Symbol {
    uint32_t begin, size;
    int prev, next;
    TokenId id;  // the piece this symbol is, or -1 for a single character that may not be one
  };
  std::vector<Symbol> sym;
  for (size_t pos = 0; pos < text.size();) {
    const auto n = uint32_t(char_length(text, pos));
    sym.push_back({uint32_t(pos), n, int(sym.size()) - 1, int(sym.size()) + 1, -1});
    pos += n;
  }
  sym.back().next = -1;

  // Candidate merges. A candidate goes stale when either side has merged
  // with something else since (its recorded size no longer adds up); stale
  // ones are skipped when popped rather than searched for and removed.
  struct Candidate {
    float score;
    int left, right;
    uint32_t size;
    TokenId id;
  };
  auto worse = [](const Candidate& a, const Candidate& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);  // highest score, then leftmost
  };
  std::vector<Candidate> storage;
  storage.reserve(sym.size());
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> queue(worse, std::move(storage));
  auto consider = [&](int l, int r) {
    if (l < 0 || r < 0) return;
    const uint32_t size = sym[size_t(l)].size + sym[size_t(r)].size;
    if (size > max_piece_bytes_) return;
    const TokenId id = find_piece(text.substr(sym[size_t(l)].begin, size));
    if (id >= 0) queue.push({scores_[size_t(id)], l, r, size, id});
  };
  for (size_t i = 1; i < sym.size(); ++i) consider(int(i) - 1, int(i));

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    Symbol& l = sym[size_t(c.left)];
    Symbol& r = sym[size_t(c.right)];
    if (l.size == 0 || r.size == 0 || l.next != c.right || l.size + r.size != c.size) continue;
    l.size = c.size;
    l.id = c.id;
    r.size = 0;
    l.next = r.next;
    if (r.next >= 0) sym[size_t(r.next)].prev = c.left;
    consider(l.prev, c.left);
    consider(c.left, l.next);
  }

  for (int i = 0; i >= 0; i = sym[size_t(i)].next) {
    const Symbol& s = sym[size_t(i)];
    const std::string_view chars = text.substr(s.begin, s.size);
    const TokenId id = s.id >= 0 ? s.id : find_piece(chars);
    if (id >= 0)
      out.push_back(id);
    else
      push_bytes(chars, out);
  }
}

}  // namespace lowbit
