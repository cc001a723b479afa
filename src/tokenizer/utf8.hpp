// The few UTF-8 facts the tokenizer needs: encoding a code point, and how
// much of a byte string can be printed without cutting a character in two.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lowbit {

// Appends the UTF-8 encoding of `cp` (must be a valid scalar value).
void utf8_append(std::string& out, uint32_t cp);

// Decodes the code point starting at s[i] and advances i past it. Returns
// false (and advances one byte) on a malformed or truncated sequence.
bool utf8_next(std::string_view s, size_t& i, uint32_t& cp);

// Length of the longest prefix of `s` that does not end inside a UTF-8
// sequence that more bytes could still complete. Invalid bytes count as
// complete (they will never become valid), so only a true partial character
// at the very end is held back.
size_t utf8_complete_prefix(std::string_view s);

// `s` with each malformed sequence replaced by U+FFFD (one per maximal
// invalid subpart, as the Unicode standard recommends): for outputs that must
// be valid UTF-8, such as JSON from the server. Valid text is returned as is.
std::string utf8_sanitize(std::string_view s);

}  // namespace lowbit
