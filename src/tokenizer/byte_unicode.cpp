#include "tokenizer/byte_unicode.hpp"

#include <array>

#include "tokenizer/utf8.hpp"

namespace lowbit {

namespace {
bool printable(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

struct Tables {
  std::array<uint32_t, 256> to_cp{};
  std::array<int16_t, 324> from_cp{};  // code points used are all < 256 + 68
  Tables() {
    from_cp.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      to_cp[size_t(b)] = printable(b) ? uint32_t(b) : next++;
      from_cp[to_cp[size_t(b)]] = int16_t(b);
    }
  }
};
const Tables& tables() {
  static const Tables t;
  return t;
}
}  // namespace

uint32_t byte_to_codepoint(uint8_t b) { return tables().to_cp[b]; }

std::optional<uint8_t> codepoint_to_byte(uint32_t cp) {
  if (cp >= tables().from_cp.size() || tables().from_cp[cp] < 0) return std::nullopt;
  return uint8_t(tables().from_cp[cp]);
}

std::string bytes_to_unicode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) utf8_append(out, byte_to_codepoint(uint8_t(c)));
  return out;
}

std::optional<std::string> unicode_to_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    if (!utf8_next(text, i, cp)) return std::nullopt;
    const auto b = codepoint_to_byte(cp);
    if (!b) return std::nullopt;
    out += char(*b);
  }
  return out;
}

}  // namespace lowbit
