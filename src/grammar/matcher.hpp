// Matching text against a Grammar byte by byte, as a set of parse stacks
// (the rule positions a parse is in, innermost last; each stack's top is a
// character set that the next code point must be in). Bytes of one UTF-8
// character are collected until the code point is whole; meanwhile stacks
// whose next set holds no code point with those first bytes are dropped, so
// a token that ends inside a character is refused as early as possible.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "grammar/grammar.hpp"

namespace lowbit::grammar {

// The grammar in the matcher's layout: every alternative's symbols in one
// array, each alternative closed by an end marker; a position is an index
// into that array.
struct CompiledGrammar {
  explicit CompiledGrammar(Grammar g);

  static constexpr int32_t kEnd = -2;
  Grammar grammar;
  std::vector<Symbol> flat;
  std::vector<std::vector<uint32_t>> alternatives;  // per rule: start positions
};

// A set of parse stacks without duplicates, stored flat.
class StackSet {
 public:
  void clear();
  void add(std::span<const uint32_t> stack);
  size_t size() const { return hashes_.size(); }
  bool empty() const { return hashes_.empty(); }
  std::span<const uint32_t> operator[](size_t i) const {
    return {data_.data() + starts_[i], starts_[i + 1] - starts_[i]};
  }

 private:
  std::vector<uint32_t> data_;
  std::vector<size_t> starts_ = {0};
  std::vector<uint64_t> hashes_;
};

// A parse in progress: its stacks and the part of a UTF-8 character read so far.
struct ParseState {
  StackSet stacks;
  uint32_t partial = 0;  // bits of the character read so far
  int remaining = 0;     // continuation bytes still to come
  int length = 0;        // continuation bytes of the character in all
};

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const CompiledGrammar> g);

  // Feeds bytes; false (and the state unchanged) when they cannot continue
  // any parse.
  bool accept(std::string_view bytes);
  // A parse has ended: the text so far is a whole sentence of the grammar.
  bool is_complete() const;
  // Some parse can still read more.
  bool can_continue() const;

  const ParseState& state() const { return state_; }
  const CompiledGrammar& grammar() const { return *g_; }

  // `out` = the state after feeding `byte` to `in`; false when no parse survives.
  bool advance(const ParseState& in, uint8_t byte, ParseState& out) const;

 private:
  // Adds the stacks `stack` stands for, with rule references expanded until
  // each top is a character set (or the stack is empty: complete).
  void expand(std::vector<uint32_t>& stack, StackSet& out) const;

  std::shared_ptr<const CompiledGrammar> g_;
  ParseState state_;
  mutable std::vector<uint32_t> scratch_;
  // Rule expansions left for the current byte (or the start): nested rules
  // with empty alternatives can reach the same stacks along exponentially
  // many paths, which the dedup in StackSet only sees at the end.
  mutable size_t expansions_left_ = 0;
};

}  // namespace lowbit::grammar
