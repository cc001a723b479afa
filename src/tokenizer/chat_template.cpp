#include "tokenizer/chat_template.hpp"

#include "core/error.hpp"

namespace lowbit {

namespace {
// Jinja's `trim`: both ends, whitespace.
std::string_view trim(std::string_view s) {
  const char* ws = " \t\n\r\f\v";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// Jinja's `capitalize`: first character upper, the rest lower (ASCII roles).
std::string capitalize(std::string_view s) {
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (i == 0 && c >= 'a' && c <= 'z') out[i] = char(c - 'a' + 'A');
    if (i > 0 && c >= 'A' && c <= 'Z') out[i] = char(c - 'A' + 'a');
  }
  return out;
}
}  // namespace

ChatTemplate chat_template_from_name(std::string_view name) {
  if (name == "llama3" || name == "llama-3") return ChatTemplate::Llama3;
  if (name == "bitnet" || name == "bitnet-b1.58") return ChatTemplate::BitNet;
  if (name == "plain") return ChatTemplate::Plain;
  fail("chat template '{}': unknown (known: llama3, bitnet, plain)", name);
}

std::string_view chat_template_name(ChatTemplate t) {
  switch (t) {
    case ChatTemplate::Llama3: return "llama3";
    case ChatTemplate::BitNet: return "bitnet";
    case ChatTemplate::Plain: break;
  }
  return "plain";
}

ChatTemplate detect_chat_template(std::string_view jinja) {
  if (jinja.find("<|start_header_id|>") != std::string_view::npos) return ChatTemplate::Llama3;
  // BitNet's: role | capitalize + ': ' ... '<|eot_id|>' ... 'Assistant: '
  if (jinja.find("<|eot_id|>") != std::string_view::npos && jinja.find("Assistant: ") != std::string_view::npos)
    return ChatTemplate::BitNet;
  return ChatTemplate::Plain;
}

std::string format_chat(ChatTemplate t, std::span<const ChatMessage> messages, bool add_assistant) {
  std::string out;
  for (const ChatMessage& m : messages) {
    switch (t) {
      case ChatTemplate::Llama3:
        out += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n";
        out += trim(m.content);
        out += "<|eot_id|>";
        break;
      case ChatTemplate::BitNet:
        out += capitalize(m.role) + ": ";
        out += trim(m.content);
        out += "<|eot_id|>";
        break;
      case ChatTemplate::Plain:
        out += capitalize(m.role) + ": ";
        out += trim(m.content);
        out += "\n";
        break;
    }
  }
  if (add_assistant) {
    switch (t) {
      case ChatTemplate::Llama3: out += "<|start_header_id|>assistant<|end_header_id|>\n\n"; break;
      case ChatTemplate::BitNet: out += "Assistant: "; break;
      case ChatTemplate::Plain: out += "Assistant:"; break;
    }
  }
  return out;
}

}  // namespace lowbit
