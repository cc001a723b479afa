// GBNF text -> Grammar. A recursive-descent parser over the bytes, with the
// offset of every error; repetition and groups become helper rules named
// after the rule they appear in (`value/3`).
#include <algorithm>
#include <functional>
#include <unordered_map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/hex_digit.hpp"
#include "grammar/grammar.hpp"
#include "tokenizer/utf8.hpp"

namespace lowbit::grammar {

namespace {

// Bounds that keep a hostile grammar (x{9999}{9999}) from exhausting memory.
constexpr size_t kMaxSymbols = size_t(1) << 20;
constexpr int64_t kMaxRepeat = 10000;
constexpr int kMaxNesting = 256;

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Grammar run() {
    skip_space(true);
    while (pos_ < s_.size()) {
      parse_rule();
      skip_space(true);
    }
    for (size_t i = 0; i < g_.rules.size(); ++i)
      if (!defined_[i]) fail_at(first_use_[i], fmt::format("rule '{}' is used but never defined", g_.rules[i].name));
    const auto root = index_.find("root");
    if (root == index_.end() || !defined_[size_t(root->second)]) fail_at(s_.size(), "the grammar has no 'root' rule");
    g_.root = root->second;
    check_left_recursion();
    return std::move(g_);
  }

 private:
  [[noreturn]] void fail_at(size_t offset, const std::string& what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < offset && i < s_.size(); ++i) {
      if (s_[i] == '\n') ++line, col = 1;
      else ++col;
    }
    fail("grammar: offset {} (line {}, column {}): {}", offset, line, col, what);
  }
  [[noreturn]] void expected(const std::string& what) const {
    fail_at(pos_,
            pos_ < s_.size() ? fmt::format("expected {}", what) : fmt::format("expected {}, found the end", what));
  }

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }

  // Spaces, tabs and comments; newlines too when `newlines` (inside groups,
  // after `::=` and `|`), since elsewhere a newline ends the rule.
  void skip_space(bool newlines) {
    while (!at_end()) {
      const char c = s_[pos_];
      if (c == ' ' || c == '\t') ++pos_;
      else if (c == '#') {
        while (!at_end() && s_[pos_] != '\n') ++pos_;
      } else if (newlines && (c == '\n' || c == '\r')) ++pos_;
      else break;
    }
  }

  static bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  }

  std::string parse_name() {
    const size_t start = pos_;
    while (!at_end() && is_name_char(s_[pos_])) ++pos_;
    if (pos_ == start) expected("a rule name");
    return std::string(s_.substr(start, pos_ - start));
  }

  int32_t rule_index(const std::string& name, size_t used_at) {
    auto [it, added] = index_.try_emplace(name, int32_t(g_.rules.size()));
    if (added) {
      g_.rules.push_back({name, {}});
      defined_.push_back(false);
      first_use_.push_back(used_at);
    }
    return it->second;
  }

  int32_t helper_rule(const std::string& parent) {
    // '/' is no name character: helper names never collide with the user's.
    const std::string name = fmt::format("{}/{}", parent, ++helpers_);
    const int32_t r = rule_index(name, pos_);
    defined_[size_t(r)] = true;
    return r;
  }

  void count_symbols(size_t n) {
    n_symbols_ += n;
    if (n_symbols_ > kMaxSymbols) fail_at(pos_, fmt::format("the grammar grows beyond {} symbols", kMaxSymbols));
  }

  int32_t add_charset(CharSet cs) {
    g_.charsets.push_back(std::move(cs));
    return int32_t(g_.charsets.size() - 1);
  }

  void parse_rule() {
    const size_t at = pos_;
    const std::string name = parse_name();
    skip_space(false);
    if (s_.substr(pos_, 3) != "::=") expected("'::='");
    pos_ += 3;
    skip_space(true);
    const int32_t r = rule_index(name, at);
    if (defined_[size_t(r)]) fail_at(at, fmt::format("rule '{}' is defined twice", name));
    defined_[size_t(r)] = true;
    current_ = name;
    std::vector<Sequence> alts = parse_alternatives(false, 0);
    g_.rules[size_t(r)].alternatives = std::move(alts);
    if (!at_end() && s_[pos_] != '\n' && s_[pos_] != '\r') expected("a newline after the rule");
  }

  std::vector<Sequence> parse_alternatives(bool nested, int depth) {
    std::vector<Sequence> alts;
    alts.push_back(parse_sequence(nested, depth));
    while (peek() == '|') {
      ++pos_;
      skip_space(true);
      alts.push_back(parse_sequence(nested, depth));
    }
    return alts;
  }

  Sequence parse_sequence(bool nested, int depth) {
    Sequence seq;
    for (;;) {
      const char c = peek();
      if (at_end() || c == '|' || c == ')' || c == '\n' || c == '\r') break;
      const size_t item_start = seq.size();
      parse_primary(seq, depth);
      skip_space(nested);
      // Postfix repetition applies to the item just parsed.
      while (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{') {
        apply_repetition(seq, item_start);
        skip_space(nested);
      }
    }
    return seq;
  }

  void parse_primary(Sequence& seq, int depth) {
    const char c = peek();
    if (c == '"') {
      ++pos_;
      const size_t start = pos_;
      while (peek() != '"') {
        if (at_end()) fail_at(start - 1, "unterminated string literal");
        const uint32_t cp = parse_char();
        seq.push_back({-1, add_charset({{{cp, cp}}, false})});
        count_symbols(1);
      }
      ++pos_;
    } else if (c == '[') {
      const size_t start = pos_++;
      CharSet cs;
      if (peek() == '^') cs.negated = true, ++pos_;
      while (peek() != ']') {
        if (at_end()) fail_at(start, "unterminated character class");
        const uint32_t lo = parse_char();
        uint32_t hi = lo;
        if (peek() == '-' && pos_ + 1 < s_.size() && s_[pos_ + 1] != ']') {
          ++pos_;
          if (at_end()) fail_at(start, "unterminated character class");
          hi = parse_char();
          if (hi < lo) fail_at(pos_, fmt::format("character range U+{:04X}-U+{:04X} is reversed", lo, hi));
        }
        cs.ranges.emplace_back(lo, hi);
      }
      ++pos_;
      seq.push_back({-1, add_charset(std::move(cs))});
      count_symbols(1);
    } else if (c == '.') {
      ++pos_;
      seq.push_back({-1, add_charset({{}, true})});
      count_symbols(1);
    } else if (c == '(') {
      if (depth >= kMaxNesting) fail_at(pos_, fmt::format("groups nest deeper than {}", kMaxNesting));
      ++pos_;
      skip_space(true);
      const int32_t r = helper_rule(current_);
      std::vector<Sequence> alts = parse_alternatives(true, depth + 1);
      g_.rules[size_t(r)].alternatives = std::move(alts);
      if (peek() != ')') expected("')'");
      ++pos_;
      seq.push_back({r, -1});
      count_symbols(1);
    } else if (is_name_char(c)) {
      const size_t at = pos_;
      const std::string name = parse_name();
      seq.push_back({rule_index(name, at), -1});
      count_symbols(1);
    } else {
      expected("a string, a character class, a rule name, '(' or '.'");
    }
  }

  // One character of a literal or class: an escape or a UTF-8 code point.
  uint32_t parse_char() {
    const unsigned char c = static_cast<unsigned char>(s_[pos_]);
    if (c == '\\') {
      const size_t at = pos_++;
      if (at_end()) fail_at(at, "escape at the end of the grammar");
      const char e = s_[pos_++];
      switch (e) {
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case '0': return 0;
        case '\\':
        case '"':
        case '\'':
        case '[':
        case ']':
        case '-':
        case '/':
        case '^':
        case '.':
        case '|': return uint32_t(static_cast<unsigned char>(e));
        case 'x': return parse_hex(2, at);
        case 'u': return parse_hex(4, at);
        case 'U': return parse_hex(8, at);
        default: fail_at(at, fmt::format("unknown escape '\\{}'", e));
      }
    }
    size_t next = pos_;
    uint32_t cp = 0;
    if (!utf8_next(s_, next, cp)) fail_at(pos_, "invalid UTF-8");
    pos_ = next;
    return cp;
  }

  uint32_t parse_hex(int digits, size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      const int d = hex_digit(peek());
      if (d < 0) fail_at(at, fmt::format("the escape needs {} hex digits", digits));
      v = v * 16 + uint32_t(d);
      ++pos_;
    }
    if (v > 0x10FFFF) fail_at(at, "the escape is beyond U+10FFFF");
    return v;
  }

  int64_t parse_int() {
    const size_t start = pos_;
    int64_t v = 0;
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + (peek() - '0');
      if (v > kMaxRepeat) fail_at(start, fmt::format("repetition counts go up to {}", kMaxRepeat));
      ++pos_;
    }
    if (pos_ == start) expected("a number");
    return v;
  }

  // The item seq[item_start..] (several symbols for a literal) as one symbol.
  Symbol as_one_symbol(Sequence& seq, size_t item_start) {
    if (seq.size() - item_start == 1) return seq.back();
    const int32_t r = helper_rule(current_);
    g_.rules[size_t(r)].alternatives.push_back(Sequence(seq.begin() + int64_t(item_start), seq.end()));
    return {r, -1};
  }

  // X* as R ::= X R | (empty); right recursion keeps the matcher's stacks short.
  Symbol star(Symbol x) {
    const int32_t r = helper_rule(current_);
    g_.rules[size_t(r)].alternatives = {{x, {r, -1}}, {}};
    count_symbols(2);
    return {r, -1};
  }

  void apply_repetition(Sequence& seq, size_t item_start) {
    const size_t at = pos_;
    const char op = s_[pos_++];
    const Symbol x = as_one_symbol(seq, item_start);
    seq.resize(item_start);
    int64_t lo = 0, hi = -1;  // hi < 0: unbounded
    if (op == '*') lo = 0;
    else if (op == '+') lo = 1;
    else if (op == '?') lo = 0, hi = 1;
    else {
      skip_space(false);
      lo = parse_int();
      skip_space(false);
      hi = lo;
      if (peek() == ',') {
        ++pos_;
        skip_space(false);
        hi = peek() == '}' ? -1 : parse_int();
        skip_space(false);
      }
      if (peek() != '}') expected("'}'");
      ++pos_;
      if (hi >= 0 && hi < lo)
        fail_at(at, fmt::format("repetition {{{},{}}} has its maximum below its minimum", lo, hi));
    }
    count_symbols(size_t(lo));
    for (int64_t i = 0; i < lo; ++i) seq.push_back(x);
    if (hi < 0) {
      seq.push_back(star(x));
      return;
    }
    // Up to hi - lo more: O_k ::= X O_{k-1} | (empty), nested.
    Symbol tail{-1, -1};
    for (int64_t k = 0; k < hi - lo; ++k) {
      const int32_t r = helper_rule(current_);
      Sequence more = {x};
      if (tail.rule >= 0) more.push_back(tail);
      g_.rules[size_t(r)].alternatives = {more, {}};
      count_symbols(more.size());
      tail = {r, -1};
    }
    if (tail.rule >= 0) seq.push_back(tail);
  }

  // A rule that can reach itself without consuming input would make the
  // matcher expand forever: refused, naming the rule.
  void check_left_recursion() {
    const size_t n = g_.rules.size();
    std::vector<char> nullable(n, 0);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < n; ++r) {
        if (nullable[r]) continue;
        for (const Sequence& alt : g_.rules[r].alternatives) {
          const bool all = std::all_of(alt.begin(), alt.end(),
                                       [&](const Symbol& s) { return s.rule >= 0 && nullable[size_t(s.rule)]; });
          if (all) {
            nullable[r] = 1, changed = true;
            break;
          }
        }
      }
    }
    std::vector<std::vector<int32_t>> left(n);
    for (size_t r = 0; r < n; ++r)
      for (const Sequence& alt : g_.rules[r].alternatives)
        for (const Symbol& s : alt) {
          if (s.rule < 0) break;
          left[r].push_back(s.rule);
          if (!nullable[size_t(s.rule)]) break;
        }
    // Iterative DFS (a deep grammar must not overflow the C++ stack).
    std::vector<char> color(n, 0);  // 0 new, 1 on the path, 2 done
    for (size_t start = 0; start < n; ++start) {
      if (color[start]) continue;
      std::vector<std::pair<size_t, size_t>> stack = {{start, 0}};
      color[start] = 1;
      while (!stack.empty()) {
        auto& [r, i] = stack.back();
        if (i == left[r].size()) {
          color[r] = 2;
          stack.pop_back();
          continue;
        }
        const size_t next = size_t(left[r][i++]);
        if (color[next] == 1) {
          // A helper rule is reported by the rule it was made for.
          std::string name = g_.rules[next].name;
          name = name.substr(0, name.find('/'));
          fail_at(first_use_[next], fmt::format("rule '{}' is left-recursive (it can reach itself without reading a "
                                                "character; a repetition of something that can be empty does too)",
                                                name));
        }
        if (color[next] == 0) {
          color[next] = 1;
          stack.emplace_back(next, 0);
        }
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  Grammar g_;
  std::unordered_map<std::string, int32_t> index_;
  std::vector<bool> defined_;
  std::vector<size_t> first_use_;
  std::string current_;
  int helpers_ = 0;
  size_t n_symbols_ = 0;
};

}  // namespace

bool CharSet::intersects(uint32_t lo, uint32_t hi) const {
  for (const auto& [a, b] : ranges) {
    if (!negated && a <= hi && b >= lo) return true;
    if (negated && a <= lo && b >= hi) return false;  // the whole span is excluded
  }
  return negated;
}

Grammar parse_gbnf(std::string_view text) { return Parser(text).run(); }

}  // namespace lowbit::grammar
