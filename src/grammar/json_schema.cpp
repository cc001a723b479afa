#include "grammar/json_schema.hpp"

#include <map>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"

namespace lowbit::grammar {

using json = nlohmann::ordered_json;  // properties keep their order (JSON schema)

std::string gbnf_literal(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') out += '\\', out += ch;
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7F) out += fmt::format("\\x{:02X}", c);
    else out += ch;
  }
  return out + "\"";
}

namespace {

// The building blocks, added to the grammar when a schema uses them.
const std::map<std::string, std::string, std::less<>> kPrimitives = {
    {"space", R"(" "?)"},
    {"char", R"([^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4}))"},
    {"string", R"("\"" char* "\"" space)"},
    {"integral-part", R"("0" | [1-9] [0-9]{0,15})"},
    {"integer", R"("-"? integral-part space)"},
    {"number", R"("-"? integral-part ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})? space)"},
    {"boolean", R"(("true" | "false") space)"},
    {"null", R"("null" space)"},
    {"value", R"(object | array | string | number | boolean | null)"},
    {"object", R"("{" space (string ":" space value ("," space string ":" space value)*)? "}" space)"},
    {"array", R"("[" space (value ("," space value)*)? "]" space)"},
};
// What each primitive refers to.
const std::map<std::string, std::vector<std::string>, std::less<>> kNeeds = {
    {"string", {"char", "space"}},
    {"integer", {"integral-part", "space"}},
    {"number", {"integral-part", "space"}},
    {"boolean", {"space"}},
    {"null", {"space"}},
    {"value", {"object", "array", "string", "number", "boolean", "null"}},
    {"object", {"string", "value", "space"}},
    {"array", {"value", "space"}},
};

class Converter {
 public:
  explicit Converter(const json& root) : root_(root) {}

  std::string run() {
    const std::string root = visit(root_, "root", "");
    std::string out = "root ::= " + root + "\n";
    for (const auto& [name, body] : rules_) out += name + " ::= " + body + "\n";
    return out;
  }

 private:
  [[noreturn]] static void unsupported(const std::string& path, const std::string& what) {
    fail("json schema at '{}': {}", path.empty() ? "/" : path, what);
  }

  std::string use(const std::string& primitive) {
    if (rules_.count(primitive)) return primitive;
    rules_[primitive] = kPrimitives.at(primitive);
    if (auto n = kNeeds.find(primitive); n != kNeeds.end())
      for (const std::string& dep : n->second) use(dep);
    return primitive;
  }

  // A fresh rule name from a hint (a property name): GBNF name characters only.
  std::string new_rule(const std::string& hint, std::string body) {
    std::string base;
    for (char c : hint) base += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    if (base.empty()) base = "item";
    base = base.substr(0, 40);
    std::string name = base;
    for (int i = 2; rules_.count(name) || kPrimitives.count(name) || name == "root"; ++i)
      name = fmt::format("{}-{}", base, i);
    rules_[name] = std::move(body);
    return name;
  }

  static int64_t count_of(const json& s, const char* key, const std::string& path, int64_t dflt) {
    auto it = s.find(key);
    if (it == s.end()) return dflt;
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0))
      unsupported(path + "/" + key, "must be a non-negative integer");
    const auto v = it->get<int64_t>();
    if (v > 10000) unsupported(path + "/" + key, "counts above 10000 are not supported");
    return v;
  }

  static std::string repeat(const std::string& item, int64_t lo, int64_t hi) {
    if (hi < 0) return lo == 0 ? item + "*" : lo == 1 ? item + "+" : fmt::format("{}{{{},}}", item, lo);
    if (lo == hi) return lo == 1 ? item : fmt::format("{}{{{}}}", item, lo);
    return lo == 0 && hi == 1 ? item + "?" : fmt::format("{}{{{},{}}}", item, lo, hi);
  }

  std::string literal_value(const json& v) { return gbnf_literal(v.dump()) + " " + use("space"); }

  std::string visit(const json& s, const std::string& hint, const std::string& path) {
    if (s.is_boolean()) {
      if (!s.get<bool>()) unsupported(path, "the schema 'false' matches nothing");
      return use("value");
    }
    if (!s.is_object()) unsupported(path, "a schema must be an object or a boolean");
    if (auto ref = s.find("$ref"); ref != s.end()) return visit_ref(*ref, path);
    if (auto c = s.find("const"); c != s.end()) return literal_value(*c);
    if (auto e = s.find("enum"); e != s.end()) {
      if (!e->is_array() || e->empty()) unsupported(path + "/enum", "must be a non-empty array");
      std::string alts;
      for (const json& v : *e) alts += (alts.empty() ? "" : " | ") + gbnf_literal(v.dump());
      return "(" + alts + ") " + use("space");
    }
    for (const char* key : {"anyOf", "oneOf"})
      if (auto a = s.find(key); a != s.end()) {
        if (!a->is_array() || a->empty()) unsupported(path + "/" + key, "must be a non-empty array");
        std::string alts;
        for (size_t i = 0; i < a->size(); ++i)
          alts += (alts.empty() ? "" : " | ") + visit((*a)[i], hint, fmt::format("{}/{}/{}", path, key, i));
        return "(" + alts + ")";
      }
    if (auto a = s.find("allOf"); a != s.end() && a->is_array() && a->size() == 1)
      return visit((*a)[0], hint, path + "/allOf/0");
    auto t = s.find("type");
    if (t == s.end()) {
      if (s.contains("properties")) return visit_type(s, "object", hint, path);
      if (s.contains("items")) return visit_type(s, "array", hint, path);
      return use("value");
    }
    if (t->is_string()) return visit_type(s, t->get<std::string>(), hint, path);
    if (t->is_array() && !t->empty()) {
      std::string alts;
      for (size_t i = 0; i < t->size(); ++i) {
        if (!(*t)[i].is_string()) unsupported(fmt::format("{}/type/{}", path, i), "must be a string");
        alts += (alts.empty() ? "" : " | ") + visit_type(s, (*t)[i].get<std::string>(), hint, path);
      }
      return "(" + alts + ")";
    }
    unsupported(path + "/type", "must be a string or a non-empty array of strings");
  }

  std::string visit_ref(const json& ref, const std::string& path) {
    if (!ref.is_string()) unsupported(path + "/$ref", "must be a string");
    const std::string r = ref.get<std::string>();
    if (auto it = refs_.find(r); it != refs_.end()) return it->second;
    if (r.rfind("#/", 0) != 0)
      unsupported(path + "/$ref", fmt::format("only local references (#/...) are supported, not '{}'", r));
    const json* target = nullptr;
    try {
      target = &root_.at(json::json_pointer(r.substr(1)));
    } catch (const json::exception&) {
      unsupported(path + "/$ref", fmt::format("'{}' does not point into the schema", r));
    }
    // Named first, so a recursive schema refers to its own rule.
    std::string name = new_rule(r.substr(r.rfind('/') + 1), "");
    refs_[r] = name;
    rules_[name] = visit(*target, name, r.substr(1));
    return name;
  }

  std::string visit_type(const json& s, const std::string& type, const std::string& hint, const std::string& path) {
    if (type == "string") {
      const int64_t lo = count_of(s, "minLength", path, 0), hi = count_of(s, "maxLength", path, -1);
      if (lo == 0 && hi < 0) return use("string");
      use("char");
      return "\"\\\"\" " + repeat("char", lo, hi) + " \"\\\"\" " + use("space");
    }
    if (type == "number" || type == "integer" || type == "boolean" || type == "null") return use(type);
    if (type == "array") return visit_array(s, hint, path);
    if (type == "object") return visit_object(s, hint, path);
    unsupported(path + "/type", fmt::format("unknown type '{}'", type));
  }

  std::string visit_array(const json& s, const std::string& hint, const std::string& path) {
    auto items = s.find("items");
    const std::string item = items == s.end() ? use("value") : visit(*items, hint + "-item", path + "/items");
    const int64_t lo = count_of(s, "minItems", path, 0), hi = count_of(s, "maxItems", path, -1);
    if (hi >= 0 && hi < lo) unsupported(path, "maxItems is below minItems");
    use("space");
    const std::string rest = repeat("(\",\" space " + item + ")", std::max<int64_t>(lo - 1, 0), hi < 0 ? -1 : hi - 1);
    std::string body = item + " " + rest;
    if (lo == 0) body = "(" + body + ")?";
    if (hi == 0) body = "";
    return new_rule(hint.empty() ? "array" : hint, "\"[\" space " + body + (body.empty() ? "" : " ") + "\"]\" space");
  }

  std::string visit_object(const json& s, const std::string& hint, const std::string& path) {
    auto props = s.find("properties");
    if (props == s.end()) {
      // Any keys: values of additionalProperties' schema, or any JSON.
      auto add = s.find("additionalProperties");
      if (add == s.end() || add->is_boolean()) return use("object");
      const std::string v = visit(*add, hint + "-value", path + "/additionalProperties");
      use("string");
      return new_rule(hint.empty() ? "object" : hint, "\"{\" space (string \":\" space " + v +
                                                          " (\",\" space string \":\" space " + v + ")*)? \"}\" space");
    }
    if (!props->is_object()) unsupported(path + "/properties", "must be an object");
    std::vector<std::string> required_names;
    if (auto req = s.find("required"); req != s.end()) {
      if (!req->is_array()) unsupported(path + "/required", "must be an array");
      for (const json& n : *req) {
        if (!n.is_string()) unsupported(path + "/required", "must hold strings");
        if (!props->contains(n.get<std::string>()))
          unsupported(path + "/required", fmt::format("'{}' is not among the properties", n.get<std::string>()));
        required_names.push_back(n.get<std::string>());
      }
    }
    use("space");
    std::vector<std::string> required, optional;
    for (const auto& [name, schema] : props->items()) {
      const std::string value = visit(schema, name, path + "/properties/" + name);
      const std::string kv = gbnf_literal(json(name).dump()) + " space \":\" space " + value;
      const bool req = std::find(required_names.begin(), required_names.end(), name) != required_names.end();
      (req ? required : optional).push_back(kv);
    }
    std::string body;
    for (const std::string& kv : required) body += (body.empty() ? "" : " \",\" space ") + kv;
    if (!optional.empty()) {
      if (!required.empty()) {
        for (const std::string& kv : optional) body += " (\",\" space " + kv + ")?";
      } else {
        // Any subset in order: choose the first one present, then the rest optional.
        std::string alts;
        for (size_t i = 0; i < optional.size(); ++i) {
          std::string a = optional[i];
          for (size_t j = i + 1; j < optional.size(); ++j) a += " (\",\" space " + optional[j] + ")?";
          alts += (alts.empty() ? "" : " | ") + a;
        }
        body = "(" + alts + ")?";
      }
    }
    return new_rule(hint.empty() ? "object" : hint, "\"{\" space " + body + (body.empty() ? "" : " ") + "\"}\" space");
  }

  const json& root_;
  std::map<std::string, std::string> rules_;
  std::map<std::string, std::string> refs_;
};

}  // namespace

std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema) { return Converter(schema).run(); }

}  // namespace lowbit::grammar
