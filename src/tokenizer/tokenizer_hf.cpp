// Tokenizer <-> Hugging Face tokenizer.json (model.type "BPE" over the GPT-2
// byte-level alphabet), and the bits of tokenizer_config.json that matter to
// running a model (bos/eos, add_bos_token, chat_template).
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "tokenizer/byte_unicode.hpp"
#include "tokenizer/hf_merge.hpp"
#include "tokenizer/hf_vocab.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit {

namespace {
using nlohmann::json;

json parse_json(std::string_view text, std::string_view source) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    fail("{}: not valid JSON: {}", source, e.what());
  }
}

// The pre-tokenizer's regex, found in a Split step (LLaMA-3) or implied by a
// ByteLevel step with use_regex (GPT-2); LLaMA-3's when there is none.
std::string pre_name_of(const json& pre, std::string_view source) {
  std::string found;
  // Real pre_tokenizers nest two or three levels; the bound keeps a hostile
  // file from recursing deep enough to exhaust the stack.
  std::function<void(const json&, int)> walk = [&](const json& j, int depth) {
    if (depth > 16) return;
    if (j.is_array()) {
      for (const json& e : j) walk(e, depth + 1);
      return;
    }
    if (!j.is_object()) return;
    const std::string type = j.value("type", "");
    if (type == "Split" && j.contains("pattern") && j["pattern"].is_object() && j["pattern"].contains("Regex")) {
      const json& r = j["pattern"]["Regex"];
      LOWBIT_CHECK(r.is_string(), "{}: pre_tokenizer Split pattern is not a string", source);
      const std::string re = r.get<std::string>();
      if (re == kLlama3Pattern)
        found = "llama-bpe";
      else if (re == kGpt2Pattern)
        found = "gpt2";
      else
        fail("{}: pre_tokenizer regex is neither LLaMA-3's nor GPT-2's: {}", source, re);
    } else if (type == "ByteLevel" && j.value("use_regex", false) && found.empty()) {
      found = "gpt2";
    }
    for (auto it = j.begin(); it != j.end(); ++it)
      if (it->is_array() || it->is_object()) walk(*it, depth + 1);
  };
  walk(pre, 0);
  return found.empty() ? "llama-bpe" : found;
}

std::string token_text(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content") && j["content"].is_string()) return j["content"].get<std::string>();
  return "";
}
}  // namespace

Tokenizer Tokenizer::from_hf_json(std::string_view text, std::string_view source) {
  // json::value() and friends throw on a field of the wrong JSON type; those
  // become one error naming the file, like every other malformed input.
  try {
    return from_hf_json_unchecked(text, source);
  } catch (const json::exception& e) {
    fail("{}: unexpected JSON structure: {}", source, e.what());
  }
}

Tokenizer Tokenizer::from_hf_json_unchecked(std::string_view text, std::string_view source) {
  const json j = parse_json(text, source);
  LOWBIT_CHECK(j.is_object() && j.contains("model") && j["model"].is_object(), "{}: no 'model' object", source);
  const json& model = j["model"];
  const std::string type = model.value("type", "BPE");
  LOWBIT_CHECK(type == "BPE", "{}: model.type '{}' is not supported (only BPE)", source, type);
  LOWBIT_CHECK(model.contains("vocab") && model["vocab"].is_object(), "{}: model.vocab is not an object", source);
  // The LLaMA-2 / Mistral kind; it parses the text again, which costs less
  // than the pair table built below.
  if (model.value("byte_fallback", false)) return from_hf_json_spm(text, source);

  Tokenizer t;
  const int64_t n_entries = int64_t(model["vocab"].size()) +
                            int64_t(j.contains("added_tokens") && j["added_tokens"].is_array() ? j["added_tokens"].size() : 0);
  HfVocabTable table(n_entries, source);
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    LOWBIT_CHECK(it->is_number_integer(), "{}: model.vocab['{}'] is not an integer id", source, it.key());
    auto bytes = unicode_to_bytes(it.key());
    LOWBIT_CHECK(bytes && !bytes->empty(), "{}: model.vocab token '{}' is not in the byte-level alphabet", source,
                 it.key());
    table.place(it->get<int64_t>(), std::move(*bytes), TokenType::Normal, "model.vocab['" + it.key() + "']");
  }
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) table.place_added(j["added_tokens"]);
  std::vector<std::string> tokens;
  table.finish(tokens, t.types_);
  t.tokens_ = StringList(tokens);
  tokens = {};
  t.index_tokens();

  if (model.contains("merges")) {
    LOWBIT_CHECK(model["merges"].is_array(), "{}: model.merges is not an array", source);
    const json& merges = model["merges"];
    t.pairs_.reserve(merges.size());
    for (size_t i = 0; i < merges.size(); ++i) {
      const std::array<std::string, 2> parts = parse_hf_merge(merges[i], source, i);
      TokenId ids[2];
      for (int side = 0; side < 2; ++side) {
        auto bytes = unicode_to_bytes(parts[side]);
        ids[side] = bytes ? t.find_normal(*bytes) : -1;
        LOWBIT_CHECK(ids[side] >= 0, "{}: model.merges[{}]: '{}' is not a token", source, i, parts[side]);
      }
      t.add_merge(ids[0], ids[1], uint32_t(i), fmt::format("{}: model.merges", source), i);
    }
  }
  t.pre_ = j.contains("pre_tokenizer") ? pre_name_of(j["pre_tokenizer"], source) : "llama-bpe";
  t.ignore_merges_ = model.value("ignore_merges", false);
  t.finish(source);
  t.guess_special_ids();
  return t;
}

Tokenizer Tokenizer::load_hf_json(const std::string& path) {
  return from_hf_json(read_file(path), path);
}

void Tokenizer::apply_hf_config(std::string_view text, std::string_view source) {
  try {
    apply_hf_config_unchecked(text, source);
  } catch (const json::exception& e) {
    fail("{}: unexpected JSON structure: {}", source, e.what());
  }
}

void Tokenizer::apply_hf_config_unchecked(std::string_view text, std::string_view source) {
  const json j = parse_json(text, source);
  LOWBIT_CHECK(j.is_object(), "{}: not a JSON object", source);
  auto id_of = [&](const char* key, TokenId current) -> TokenId {
    if (!j.contains(key) || j[key].is_null()) return current;
    const std::string name = token_text(j[key]);
    auto id = find_token(name);
    LOWBIT_CHECK(id.has_value(), "{}: {} '{}' is not in the vocabulary", source, key, name);
    return *id;
  };
  bos_ = id_of("bos_token", bos_);
  eos_ = id_of("eos_token", eos_);
  pad_ = id_of("pad_token", pad_);
  // Byte-level vocabularies often name an unk_token they do not have; only
  // a SentencePiece one needs it, so a missing one is not an error.
  if (j.contains("unk_token") && !j["unk_token"].is_null())
    if (auto id = find_token(token_text(j["unk_token"]))) unk_ = *id;
  if (j.contains("add_bos_token") && j["add_bos_token"].is_boolean()) add_bos_ = j["add_bos_token"].get<bool>();
  if (j.contains("add_eos_token") && j["add_eos_token"].is_boolean()) add_eos_ = j["add_eos_token"].get<bool>();
  if (j.contains("chat_template")) {
    const json& c = j["chat_template"];
    if (c.is_string()) {
      chat_template_ = c.get<std::string>();
    } else if (c.is_array() && !c.empty()) {  // named templates: take "default", else the first
      chat_template_.clear();
      for (const json& e : c)
        if (e.is_object() && e.value("name", "") == "default") chat_template_ = e.value("template", "");
      if (chat_template_.empty() && c[0].is_object()) chat_template_ = c[0].value("template", "");
    }
  }
}

std::string Tokenizer::to_hf_json() const {
  LOWBIT_CHECK(!spm_, "tokenizer: writing a SentencePiece-style tokenizer.json is not supported");
  using ojson = nlohmann::ordered_json;
  ojson added = ojson::array();
  ojson vocab = ojson::object();
  for (size_t i = 0; i < tokens_.size(); ++i) {
    if (is_special(TokenId(i))) {
      added.push_back({{"id", i},
                       {"content", std::string(tokens_[i])},
                       {"single_word", false},
                       {"lstrip", false},
                       {"rstrip", false},
                       {"normalized", false},
                       {"special", types_[i] == TokenType::Control}});
    } else {
      vocab[bytes_to_unicode(tokens_[i])] = i;
    }
  }
  ojson merges = ojson::array();
  for (const PairTable::Rule& m : pairs_.rules())
    merges.push_back({bytes_to_unicode(tokens_[size_t(m.left)]), bytes_to_unicode(tokens_[size_t(m.right)])});
  const std::string_view pattern = pattern_for_pre(pre_, "tokenizer");
  ojson out = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", nullptr},
      {"pre_tokenizer",
       {{"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", pattern}}}, {"behavior", "Isolated"}, {"invert", false}},
          {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", false}}}}}},
      {"post_processor", nullptr},
      {"decoder", {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", nullptr},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", false},
        {"byte_fallback", false},
        {"ignore_merges", ignore_merges_},
        {"vocab", vocab},
        {"merges", merges}}},
  };
  return out.dump(1) + "\n";
}

}  // namespace lowbit
