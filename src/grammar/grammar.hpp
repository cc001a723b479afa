// A context-free grammar over Unicode code points, as llama.cpp's GBNF
// describes one (docs/SERVER.md has the syntax). Rules are alternatives of
// sequences of symbols; a symbol is a character set or a reference to a
// rule. Repetition (* + ? {m,n}) and groups are turned into helper rules by
// the parser, so the matcher only knows these two kinds of symbols.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lowbit::grammar {

// A set of code points: inclusive ranges, or everything but them.
struct CharSet {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  bool negated = false;

  bool contains(uint32_t cp) const {
    bool in = false;
    for (const auto& [lo, hi] : ranges) in = in || (cp >= lo && cp <= hi);
    return in != negated;
  }
  // Whether some code point in [lo, hi] is in the set.
  bool intersects(uint32_t lo, uint32_t hi) const;
};

struct Symbol {
  int32_t rule = -1;     // >= 0: a reference to this rule
  int32_t charset = -1;  // >= 0: one code point of this set
};

using Sequence = std::vector<Symbol>;

struct Rule {
  std::string name;
  std::vector<Sequence> alternatives;  // an empty sequence matches the empty string
};

struct Grammar {
  std::vector<Rule> rules;
  std::vector<CharSet> charsets;
  int32_t root = -1;
};

// Parses GBNF text; the start rule is `root`. Throws lowbit::Error naming
// the offset (line, column) and what was expected, for syntax errors,
// undefined rules, a missing root, left recursion and grammars too large.
Grammar parse_gbnf(std::string_view text);

}  // namespace lowbit::grammar
