#include "grammar/matcher.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"

namespace lowbit::grammar {

namespace {
// An ambiguous grammar can multiply stacks with every character; beyond
// this many a parse is refused rather than slowing the server to a crawl.
constexpr size_t kMaxStacks = 4096;
// The same for the work of reaching them: rule expansions per byte.
constexpr size_t kMaxExpansions = size_t(1) << 16;
}  // namespace

CompiledGrammar::CompiledGrammar(Grammar g) : grammar(std::move(g)) {
  alternatives.resize(grammar.rules.size());
  for (size_t r = 0; r < grammar.rules.size(); ++r)
    for (const Sequence& alt : grammar.rules[r].alternatives) {
      alternatives[r].push_back(uint32_t(flat.size()));
      flat.insert(flat.end(), alt.begin(), alt.end());
      flat.push_back({kEnd, -1});
    }
}

void StackSet::clear() {
  data_.clear();
  starts_.assign(1, 0);
  hashes_.clear();
}

void StackSet::add(std::span<const uint32_t> stack) {
  uint64_t h = 1469598103934665603ull ^ stack.size();
  for (uint32_t v : stack) h = (h ^ v) * 1099511628211ull;
  for (size_t i = 0; i < hashes_.size(); ++i)
    if (hashes_[i] == h && std::ranges::equal((*this)[i], stack)) return;
  if (hashes_.size() >= kMaxStacks)
    fail("grammar: more than {} parses are alive at once (the grammar is too ambiguous)", kMaxStacks);
  data_.insert(data_.end(), stack.begin(), stack.end());
  starts_.push_back(data_.size());
  hashes_.push_back(h);
}

Matcher::Matcher(std::shared_ptr<const CompiledGrammar> g) : g_(std::move(g)) {
  expansions_left_ = kMaxExpansions;
  for (uint32_t start : g_->alternatives[size_t(g_->grammar.root)]) {
    scratch_.clear();
    if (g_->flat[start].rule != CompiledGrammar::kEnd) scratch_.push_back(start);
    expand(scratch_, state_.stacks);
  }
}

void Matcher::expand(std::vector<uint32_t>& stack, StackSet& out) const {
  if (stack.empty()) return out.add(stack);
  const uint32_t top = stack.back();
  const Symbol sym = g_->flat[top];
  if (sym.rule < 0) return out.add(stack);  // a character set
  // A reference: the caller continues after it; the referenced rule's
  // alternatives go on top.
  if (expansions_left_ == 0)
    fail("grammar: more than {} rule expansions for one character (the grammar is too ambiguous)", kMaxExpansions);
  --expansions_left_;
  const size_t depth = stack.size();
  stack.pop_back();
  if (g_->flat[top + 1].rule != CompiledGrammar::kEnd) stack.push_back(top + 1);
  const size_t base = stack.size();
  for (uint32_t start : g_->alternatives[size_t(sym.rule)]) {
    stack.resize(base);
    if (g_->flat[start].rule != CompiledGrammar::kEnd) stack.push_back(start);
    expand(stack, out);
  }
  // Restore the caller's stack.
  stack.resize(base);
  if (base == depth) stack.back() = top;
  else stack.push_back(top);
}

bool Matcher::advance(const ParseState& in, uint8_t byte, ParseState& out) const {
  out.stacks.clear();
  uint32_t cp = 0;
  out.remaining = 0;
  out.partial = 0;
  out.length = 0;
  if (in.remaining == 0) {
    if (byte < 0x80) cp = byte;
    else if (byte >= 0xC2 && byte < 0xE0) out.partial = byte & 0x1F, out.remaining = out.length = 1;
    else if (byte >= 0xE0 && byte < 0xF0) out.partial = byte & 0x0F, out.remaining = out.length = 2;
    else if (byte >= 0xF0 && byte < 0xF5) out.partial = byte & 0x07, out.remaining = out.length = 3;
    else return false;  // not a UTF-8 lead byte
  } else {
    if ((byte & 0xC0) != 0x80) return false;
    out.partial = (in.partial << 6) | (byte & 0x3F);
    out.remaining = in.remaining - 1;
    out.length = in.length;
  }
  // The smallest code point each length may encode (shorter is overlong),
  // and the largest of all.
  static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
  if (out.remaining == 0 && in.remaining != 0) {
    cp = out.partial;
    if (cp < kMin[out.length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    out.partial = 0;
    out.length = 0;
  }
  const auto& flat = g_->flat;
  if (out.remaining > 0) {
    // Keep the stacks whose next set has a code point starting with these bytes.
    const int shift = 6 * out.remaining;
    const uint32_t lo = std::max(out.partial << shift, kMin[out.length]);
    const uint32_t hi = std::min((out.partial << shift) | ((1u << shift) - 1), uint32_t(0x10FFFF));
    if (lo > hi) return false;
    for (size_t i = 0; i < in.stacks.size(); ++i) {
      const auto s = in.stacks[i];
      if (!s.empty() && g_->grammar.charsets[size_t(flat[s.back()].charset)].intersects(lo, hi)) out.stacks.add(s);
    }
    return !out.stacks.empty();
  }
  expansions_left_ = kMaxExpansions;
  for (size_t i = 0; i < in.stacks.size(); ++i) {
    const auto s = in.stacks[i];
    if (s.empty() || !g_->grammar.charsets[size_t(flat[s.back()].charset)].contains(cp)) continue;
    scratch_.assign(s.begin(), s.end());
    const uint32_t top = scratch_.back();
    scratch_.pop_back();
    if (flat[top + 1].rule != CompiledGrammar::kEnd) scratch_.push_back(top + 1);
    expand(scratch_, out.stacks);
  }
  return !out.stacks.empty();
}

bool Matcher::accept(std::string_view bytes) {
  ParseState a = state_, b;
  for (char c : bytes) {
    if (!advance(a, uint8_t(c), b)) return false;
    std::swap(a, b);
  }
  state_ = std::move(a);
  return true;
}

bool Matcher::is_complete() const {
  if (state_.remaining != 0) return false;
  for (size_t i = 0; i < state_.stacks.size(); ++i)
    if (state_.stacks[i].empty()) return true;
  return false;
}

bool Matcher::can_continue() const {
  for (size_t i = 0; i < state_.stacks.size(); ++i)
    if (!state_.stacks[i].empty()) return true;
  return false;
}

}  // namespace lowbit::grammar
