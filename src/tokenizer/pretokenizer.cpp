#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenizer.hpp"

#include <pcre2.h>

#include <algorithm>

#include "core/error.hpp"

namespace lowbit {

PreTokenizer::PreTokenizer(std::string pattern) : pattern_(std::move(pattern)) {
  int err = 0;
  PCRE2_SIZE err_off = 0;
  // MATCH_INVALID_UTF: invalid sequences simply never match (no error, no
  // undefined behaviour), which is what lets arbitrary bytes through.
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &err_off, nullptr);
  if (!code) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    fail("pre-tokenizer pattern: {} at offset {}", reinterpret_cast<const char*>(msg), err_off);
  }
  // The JIT is an optimisation: without it (unsupported CPU) pcre2_match
  // interprets the same pattern with the same results.
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  code_ = code;
  // The default match limit (10 million steps) is reached by legitimate text:
  // "\s*[\r\n]+" backtracks over a whole run of 20 MB of spaces before
  // "\s+(?!\S)" takes it. Every step is linear in the run, so lifting the
  // limit costs time proportional to the input, not an explosion.
  pcre2_match_context* ctx = pcre2_match_context_create(nullptr);
  LOWBIT_CHECK(ctx != nullptr, "pre-tokenizer: out of memory for the match context");
  pcre2_set_match_limit(ctx, 0xFFFFFFFFu);
  pcre2_set_depth_limit(ctx, 0xFFFFFFFFu);
  match_ctx_ = ctx;
}

PreTokenizer::~PreTokenizer() {
  pcre2_match_context_free(static_cast<pcre2_match_context*>(match_ctx_));
  pcre2_code_free(static_cast<pcre2_code*>(code_));
}

PreTokenizer::Matcher::Matcher(const PreTokenizer& p, std::string_view text)
    : p_(p), text_(text), match_data_(pcre2_match_data_create_from_pattern(static_cast<pcre2_code*>(p.code_), nullptr)) {
  LOWBIT_CHECK(match_data_ != nullptr, "pre-tokenizer: out of memory for match data");
}

PreTokenizer::Matcher::~Matcher() { pcre2_match_data_free(static_cast<pcre2_match_data*>(match_data_)); }

bool PreTokenizer::Matcher::next(std::string_view& piece) {
  if (pos_ >= text_.size()) return false;
  if (!pending_ && !exhausted_) {
    auto* md = static_cast<pcre2_match_data*>(match_data_);
    const int rc = pcre2_match(static_cast<pcre2_code*>(p_.code_), reinterpret_cast<PCRE2_SPTR>(text_.data()),
                               text_.size(), pos_, 0, md, static_cast<pcre2_match_context*>(p_.match_ctx_));
    if (rc == PCRE2_ERROR_NOMATCH) {
      exhausted_ = true;
    } else if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      fail("pre-tokenizer: match failed at byte {}: {}", pos_, reinterpret_cast<const char*>(msg));
    } else {
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
      match_begin_ = ov[0];
      // None of our patterns can match the empty string, but a user-supplied
      // one (tokenizer.json) might: take one byte so the walk always advances.
      match_end_ = ov[1] > ov[0] ? ov[1] : std::min<size_t>(ov[0] + 1, text_.size());
      pending_ = true;
    }
  }
  if (!pending_) {  // the rest is bytes no alternative accepts
    piece = text_.substr(pos_);
    pos_ = text_.size();
    return true;
  }
  if (match_begin_ > pos_) {  // the gap before the match
    piece = text_.substr(pos_, match_begin_ - pos_);
    pos_ = match_begin_;
    return true;
  }
  piece = text_.substr(match_begin_, match_end_ - match_begin_);
  pos_ = match_end_;
  pending_ = false;
  return true;
}

}  // namespace lowbit
