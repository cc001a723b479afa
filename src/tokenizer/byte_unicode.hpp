// GPT-2's reversible map between bytes and printable code points, in which
// GGUF and tokenizer.json store byte-level BPE tokens ("Ġ" is the space byte).
// Printable Latin-1 bytes map to themselves; the other 68 bytes map, in byte
// order, to U+0100 onwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lowbit {

uint32_t byte_to_codepoint(uint8_t b);
// The byte a code point stands for, or nothing if it is not in the map.
std::optional<uint8_t> codepoint_to_byte(uint32_t cp);

// Raw token bytes -> their stored form (UTF-8 of the mapped code points).
std::string bytes_to_unicode(std::string_view bytes);
// The reverse; nothing if `text` is not valid UTF-8 of mapped code points.
std::optional<std::string> unicode_to_bytes(std::string_view text);

}  // namespace lowbit
