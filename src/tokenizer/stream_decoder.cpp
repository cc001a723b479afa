#include "tokenizer/stream_decoder.hpp"

#include "tokenizer/utf8.hpp"

namespace lowbit {

std::string StreamDecoder::push(TokenId id) {
  const std::string_view bytes = tok_->token_bytes(id);  // throws on a bad id
  if (!(skip_special_ && tok_->is_special(id))) pending_ += bytes;
  const size_t ready = utf8_complete_prefix(pending_);
  std::string out = pending_.substr(0, ready);
  pending_.erase(0, ready);
  return out;
}

std::string StreamDecoder::finish() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace lowbit
