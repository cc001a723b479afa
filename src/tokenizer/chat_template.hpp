// Chat prompts for `lowbit chat` and the server. We do not run Jinja: the
// templates the models we serve use are known, written here, and recognised
// from the GGUF tokenizer.chat_template text.
//
// The returned text contains special tokens as text: encode it with
// parse_special = true. It does not contain BOS: encode with add_bos = true
// (the Jinja originals put bos_token first).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace lowbit {

enum class ChatTemplate {
  // <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>
  Llama3,
  // "System: ...<|eot_id|>User: ...<|eot_id|>Assistant: " (BitNet b1.58 2B4T,
  // its tokenizer_config.json and microsoft/BitNet gpu/tokenizer.py)
  BitNet,
  // "role: content\n" lines, for models trained on plain text.
  Plain,
};

struct ChatMessage {
  std::string role;  // "system", "user" or "assistant"
  std::string content;
};

// "llama3", "bitnet" or "plain"; throws lowbit::Error otherwise.
ChatTemplate chat_template_from_name(std::string_view name);
std::string_view chat_template_name(ChatTemplate t);
// Recognises a Jinja chat template; Plain when it is empty or unknown.
ChatTemplate detect_chat_template(std::string_view jinja);

// The prompt for `messages`; with add_assistant, ends with the header the
// model continues from.
std::string format_chat(ChatTemplate t, std::span<const ChatMessage> messages, bool add_assistant = true);

}  // namespace lowbit
