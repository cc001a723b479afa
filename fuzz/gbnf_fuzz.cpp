// GBNF grammars: any byte string either parses or throws lowbit::Error
// (naming an offset); a parsed grammar's matcher then reads the input
// itself as text, and every limit holds (errors only as lowbit::Error).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/error.hpp"
#include "grammar/grammar.hpp"
#include "grammar/matcher.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto g = std::make_shared<const lowbit::grammar::CompiledGrammar>(lowbit::grammar::parse_gbnf(text));
    if (g->grammar.root < 0 || size_t(g->grammar.root) >= g->grammar.rules.size()) std::abort();
    lowbit::grammar::Matcher m(g);
    // Feed the text byte by byte until a parse fails: exercises advance().
    for (size_t i = 0; i < text.size() && i < 256; ++i)
      if (!m.accept(text.substr(i, 1))) break;
    (void)m.is_complete();
  } catch (const lowbit::Error& e) {
    if (std::string_view(e.what()).find("grammar: ") == std::string_view::npos) std::abort();
  }
  return 0;
}
