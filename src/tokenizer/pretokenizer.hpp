// Pre-tokenization: the regex that cuts text into the pieces BPE merges
// within (merges never cross a piece boundary). Run by PCRE2 with UTF, UCP
// (so \s, \p{L}, \p{N} are Unicode-aware) and the JIT. Invalid UTF-8 is
// allowed: bytes the pattern cannot match become pieces of their own, so every
// input byte lands in exactly one piece and decode(encode(x)) == x.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace lowbit {

// LLaMA-3 (also tiktoken's cl100k_base): GGUF pre "llama-bpe".
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// GPT-2: GGUF pre "gpt2" / "default".
inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class PreTokenizer {
 public:
  // Throws lowbit::Error naming the offset if the pattern does not compile.
  explicit PreTokenizer(std::string pattern);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  const std::string& pattern() const { return pattern_; }

  // Calls `on_piece(std::string_view)` for each piece of `text`, in order;
  // the pieces concatenate to `text`. Thread-safe (per-call match data).
  template <typename F>
  void split(std::string_view text, F&& on_piece) const {
    Matcher m(*this, text);
    std::string_view piece;
    while (m.next(piece)) on_piece(piece);
  }

 private:
  // Walks the matches and the unmatched gaps between them.
  class Matcher {
   public:
    Matcher(const PreTokenizer& p, std::string_view text);
    ~Matcher();
    bool next(std::string_view& piece);

   private:
    const PreTokenizer& p_;
    std::string_view text_;
    void* match_data_;
    size_t pos_ = 0;          // everything before this was returned
    size_t match_begin_ = 0;  // a found match not yet returned, if pending_
    size_t match_end_ = 0;
    bool pending_ = false;
    bool exhausted_ = false;  // no more matches after pos_
  };

  std::string pattern_;
  void* code_ = nullptr;       // pcre2_code_8*, kept out of the header
  void* match_ctx_ = nullptr;  // pcre2_match_context_8*: read-only while matching
};

}  // namespace lowbit
