// The value of one hexadecimal digit: the escape parsers of prompts (\xHH),
// SentencePiece byte pieces (<0xHH>) and GBNF (\xHH, \uHHHH) share it.
#pragma once

namespace lowbit {

// 0..15, or -1 when c is not a hex digit (either case).
constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace lowbit
