// Tokenizer inputs from outside: tokenizer.json, tiktoken files, and any text
// to encode. Each either loads or throws lowbit::Error; encoding any bytes
// decodes back to the same bytes (checked, not just run).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "tokenizer/bpe_trainer.hpp"
#include "tokenizer/stream_decoder.hpp"
#include "tokenizer/tokenizer.hpp"

namespace {
void check_lossless(const lowbit::Tokenizer& t, std::string_view text) {
  const auto ids = t.encode(text, false, true);
  if (t.decode(ids) != text) std::abort();
  lowbit::StreamDecoder d(t);
  std::string streamed;
  for (lowbit::TokenId id : ids) streamed += d.push(id);
  streamed += d.finish();
  if (streamed != text) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch (data[0] % 3) {
      case 0: {  // a tokenizer.json, then its own text through it
        const auto t = lowbit::Tokenizer::from_hf_json(in, "fuzz.json");
        (void)t.encode(in, true, true);
        break;
      }
      case 1: {
        const auto t = lowbit::Tokenizer::from_tiktoken(in, "fuzz.tiktoken", {"<|eot_id|>"});
        (void)t.encode(in, false, true);
        break;
      }
      default: {  // text: train on it, then it must survive both tokenizers
        check_lossless(lowbit::Tokenizer::byte_level(), in);
        lowbit::BpeTrainOptions o;
        o.vocab_size = 300;
        o.min_frequency = 1;
        check_lossless(lowbit::Tokenizer::from_gguf(lowbit::train_bpe(in, o)), in);
        break;
      }
    }
  } catch (const lowbit::Error&) {
  }
  return 0;
}
