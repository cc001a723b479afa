#include "tokenizer/utf8.hpp"

namespace lowbit {

void utf8_append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

namespace {
// Expected length of a sequence from its lead byte; 0 for bytes that can
// never start one (continuations, C0/C1 overlongs, F5..FF).
int sequence_length(uint8_t b) {
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return 2;
  if (b >= 0xE0 && b <= 0xEF) return 3;
  if (b >= 0xF0 && b <= 0xF4) return 4;
  return 0;
}
// The range allowed for the second byte: it is what excludes overlongs,
// surrogates and code points past U+10FFFF (RFC 3629 table).
bool second_byte_ok(uint8_t lead, uint8_t b) {
  if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;
  if (lead == 0xED) return b >= 0x80 && b <= 0x9F;
  if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;
  if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;
  return (b & 0xC0) == 0x80;
}
}  // namespace

bool utf8_next(std::string_view s, size_t& i, uint32_t& cp) {
  const uint8_t lead = uint8_t(s[i]);
  const int n = sequence_length(lead);
  if (n == 1) {
    cp = lead;
    ++i;
    return true;
  }
  if (n == 0 || i + size_t(n) > s.size() || !second_byte_ok(lead, uint8_t(s[i + 1]))) {
    ++i;
    return false;
  }
  cp = lead & (0xFF >> (n + 1));
  for (int k = 1; k < n; ++k) {
    const uint8_t b = uint8_t(s[i + size_t(k)]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return false;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += size_t(n);
  return true;
}

std::string utf8_sanitize(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const uint8_t lead = uint8_t(s[i]);
    const int n = sequence_length(lead);
    if (n == 1) {
      out += char(lead);
      ++i;
      continue;
    }
    // Take as many bytes as still form a valid prefix; a complete sequence
    // is copied, anything shorter is one U+FFFD.
    int ok = n == 0 ? 0 : 1;
    if (ok && i + 1 < s.size() && second_byte_ok(lead, uint8_t(s[i + 1]))) {
      ok = 2;
      while (ok < n && i + size_t(ok) < s.size() && (uint8_t(s[i + size_t(ok)]) & 0xC0) == 0x80) ++ok;
    }
    if (n > 0 && ok == n) {
      out.append(s.substr(i, size_t(n)));
    } else {
      out += "\xEF\xBF\xBD";
    }
    i += size_t(ok == 0 ? 1 : ok);
  }
  return out;
}

size_t utf8_complete_prefix(std::string_view s) {
  // A partial character is at most 3 bytes: a lead byte and up to two
  // continuation bytes that are each still acceptable.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const size_t start = n - back;
    const uint8_t b = uint8_t(s[start]);
    if ((b & 0xC0) == 0x80) continue;  // continuation: keep looking for the lead
    const int need = sequence_length(b);
    if (need <= int(back)) return n;   // ASCII, invalid, or already complete
    if (back >= 2 && !second_byte_ok(b, uint8_t(s[start + 1]))) return n;
    return start;
  }
  return n;
}

}  // namespace lowbit
