// UTF-8 helpers, the GPT-2 byte-to-unicode map and the pre-tokenizer, against
// values worked out by hand from the definitions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "tokenizer/byte_unicode.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/utf8.hpp"

using namespace lowbit;

TEST(ByteUnicode, KnownCodePoints) {
  // Printable bytes map to themselves; the 68 others go, in byte order, to
  // U+0100...: 0x00-0x20 are the first 33, 0x7F-0xA0 the next 34, 0xAD last.
  EXPECT_EQ(byte_to_codepoint('A'), uint32_t('A'));
  EXPECT_EQ(byte_to_codepoint(0xE9), 0xE9u);
  EXPECT_EQ(byte_to_codepoint(0x00), 0x100u);
  EXPECT_EQ(byte_to_codepoint(0x20), 0x120u);  // "Ġ"
  EXPECT_EQ(byte_to_codepoint(0x0A), 0x10Au);  // "Ċ"
  EXPECT_EQ(byte_to_codepoint(0x7F), 0x121u);
  EXPECT_EQ(byte_to_codepoint(0xA0), 0x142u);
  EXPECT_EQ(byte_to_codepoint(0xAD), 0x143u);  // "Ń"
  EXPECT_EQ(bytes_to_unicode(" the\n"), "\xC4\xA0the\xC4\x8A");
}

TEST(ByteUnicode, IsABijection) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += char(b);
  EXPECT_EQ(unicode_to_bytes(bytes_to_unicode(all)), all);
  EXPECT_FALSE(unicode_to_bytes(" ").has_value());        // the space byte is stored as Ġ
  EXPECT_FALSE(unicode_to_bytes("\xE2\x82\xAC").has_value());  // € is not in the alphabet
  EXPECT_FALSE(unicode_to_bytes("\xC4").has_value());     // truncated UTF-8
}

TEST(Utf8, CompletePrefixHoldsBackOnlyPartialCharacters) {
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("a\xC3"), 1u);                  // é cut after its lead
  EXPECT_EQ(utf8_complete_prefix("a\xC3\xA9"), 3u);
  EXPECT_EQ(utf8_complete_prefix("\xE2\x82"), 0u);               // € missing one byte
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98"), 0u);           // 😀 missing one byte
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(utf8_complete_prefix("a\xFF"), 2u);                  // never valid: pass it on
  EXPECT_EQ(utf8_complete_prefix("a\x80"), 2u);                  // stray continuation
  EXPECT_EQ(utf8_complete_prefix("a\xE0\x80"), 3u);              // overlong: can never complete
  EXPECT_EQ(utf8_complete_prefix(""), 0u);
}

TEST(Utf8, SanitizeReplacesMaximalInvalidSubparts) {
  const std::string r = "\xEF\xBF\xBD";  // U+FFFD
  EXPECT_EQ(utf8_sanitize("caf\xC3\xA9 \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(utf8_sanitize("a\xFF" "b"), "a" + r + "b");
  EXPECT_EQ(utf8_sanitize("a\xE2\x82" "b"), "a" + r + "b");      // truncated €: one replacement
  EXPECT_EQ(utf8_sanitize("\xF0\x9F\x98"), r);                  // truncated at the end
  EXPECT_EQ(utf8_sanitize("\xE0\x80\x80"), r + r + r);          // overlong: every byte invalid
  EXPECT_EQ(utf8_sanitize("\xED\xA0\x80"), r + r + r);          // surrogate U+D800
  EXPECT_EQ(utf8_sanitize("\x80\x80"), r + r);
}

namespace {
std::vector<std::string> pieces(const PreTokenizer& p, std::string_view text) {
  std::vector<std::string> out;
  p.split(text, [&](std::string_view s) { out.emplace_back(s); });
  return out;
}
using V = std::vector<std::string>;
}  // namespace

TEST(PreTokenizer, Llama3Pattern) {
  const PreTokenizer p{std::string(kLlama3Pattern)};
  // Contractions split off; a letter run takes one leading non-letter.
  EXPECT_EQ(pieces(p, "Hello world's"), (V{"Hello", " world", "'s"}));
  EXPECT_EQ(pieces(p, "I'LL"), (V{"I", "'LL"}));  // case-insensitive contractions
  // Numbers in groups of at most three, the space stays apart.
  EXPECT_EQ(pieces(p, "x 12345"), (V{"x", " ", "123", "45"}));
  // A whitespace run leaves its last space to the following word.
  EXPECT_EQ(pieces(p, "a   b"), (V{"a", "  ", " b"}));
  EXPECT_EQ(pieces(p, "a\r\n\r\nb"), (V{"a", "\r\n\r\n", "b"}));
  EXPECT_EQ(pieces(p, "end  "), (V{"end", "  "}));
  // Punctuation runs keep a leading space and trailing newlines.
  EXPECT_EQ(pieces(p, "x ...\n\ny"), (V{"x", " ...\n\n", "y"}));
  // Unicode letters are letters: one piece with the leading space.
  EXPECT_EQ(pieces(p, " na\xC3\xAFve"), (V{" na\xC3\xAFve"}));
}

TEST(PreTokenizer, InvalidUtf8BecomesItsOwnPieces) {
  const PreTokenizer p{std::string(kLlama3Pattern)};
  EXPECT_EQ(pieces(p, "ab\xFF" "cd"), (V{"ab", "\xFF", "cd"}));
  EXPECT_EQ(pieces(p, "\xC3"), (V{"\xC3"}));
  std::string joined;
  for (const auto& s : pieces(p, "\x80\x80 x\xE2\x82 \xF0")) joined += s;
  EXPECT_EQ(joined, "\x80\x80 x\xE2\x82 \xF0");
}

TEST(PreTokenizer, Gpt2Pattern) {
  const PreTokenizer p{std::string(kGpt2Pattern)};
  EXPECT_EQ(pieces(p, "Hello world 12345"), (V{"Hello", " world", " 12345"}));
}

TEST(PreTokenizer, BadPatternIsAnError) {
  EXPECT_THROW(PreTokenizer("(unclosed"), Error);
}
