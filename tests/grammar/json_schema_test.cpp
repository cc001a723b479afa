// JSON schema -> GBNF: the grammar text for a small schema against one
// written by hand, and for the common keywords, documents that match the
// schema accepted and ones that break it refused.
#include <gtest/gtest.h>

#include <memory>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "grammar/grammar.hpp"
#include "grammar/json_schema.hpp"
#include "grammar/matcher.hpp"

namespace lowbit::grammar {
namespace {

using json = nlohmann::ordered_json;

std::shared_ptr<const CompiledGrammar> from_schema(const std::string& schema) {
  return std::make_shared<const CompiledGrammar>(parse_gbnf(json_schema_to_gbnf(json::parse(schema))));
}

bool matches(const std::shared_ptr<const CompiledGrammar>& g, const std::string& text) {
  Matcher m(g);
  return m.accept(text) && m.is_complete();
}

TEST(JsonSchema, SmallObjectGivesTheHandWrittenGrammar) {
  const std::string expected =
      "root ::= root-2\n"
      "boolean ::= (\"true\" | \"false\") space\n"
      "null ::= \"null\" space\n"
      "root-2 ::= \"{\" space \"\\\"ok\\\"\" space \":\" space boolean (\",\" space \"\\\"n\\\"\" space \":\" space "
      "null)? \"}\" space\n"
      "space ::= \" \"?\n";
  EXPECT_EQ(json_schema_to_gbnf(json::parse(
                R"({"type":"object","properties":{"ok":{"type":"boolean"},"n":{"type":"null"}},"required":["ok"]})")),
            expected);
}

TEST(JsonSchema, ObjectsWithRequiredAndOptionalProperties) {
  const auto g = from_schema(R"({"type":"object","properties":{"name":{"type":"string"},
      "age":{"type":"integer"},"tags":{"type":"array","items":{"type":"string"}}},"required":["name"]})");
  EXPECT_TRUE(matches(g, R"({"name":"x"})"));
  EXPECT_TRUE(matches(g, R"({ "name": "Al", "age": 42, "tags": ["a", "b"] })"));
  EXPECT_TRUE(matches(g, R"({"name":"x","tags":[]})"));
  EXPECT_FALSE(matches(g, R"({"age":1})"));               // name is required
  EXPECT_FALSE(matches(g, R"({"name":"x","age":1.5})"));  // an integer
  EXPECT_FALSE(matches(g, R"({"name":"x","other":1})"));  // unknown key
  EXPECT_FALSE(matches(g, R"({"name":"x",})"));
  EXPECT_FALSE(matches(g, R"({"name":"a\qb"})"));  // bad escape
  EXPECT_TRUE(matches(g, R"({"name":"a\"\u00e9\n"})"));
}

TEST(JsonSchema, AllOptionalPropertiesAnySubsetInOrder) {
  const auto g = from_schema(R"({"type":"object","properties":{"a":{"const":1},"b":{"const":2},"c":{"const":3}}})");
  for (const char* ok : {"{}", R"({"a":1})", R"({"b":2})", R"({"a":1,"c":3})", R"({"a":1,"b":2,"c":3})"})
    EXPECT_TRUE(matches(g, ok)) << ok;
  for (const char* bad : {R"({"b":2,"a":1})", R"({,"b":2})", R"({"a":2})"}) EXPECT_FALSE(matches(g, bad)) << bad;
}

TEST(JsonSchema, NumbersIntegersBooleansNull) {
  const auto g = from_schema(R"({"type":"array","items":{"type":["number","boolean","null"]}})");
  EXPECT_TRUE(matches(g, "[0, -1.5, 2e10, 3.25E-2, true, null]"));
  EXPECT_FALSE(matches(g, "[01]"));
  EXPECT_FALSE(matches(g, "[1.]"));
  EXPECT_FALSE(matches(g, "[+1]"));
  EXPECT_FALSE(matches(g, "[nul]"));
  EXPECT_FALSE(matches(g, "[\"1\"]"));
}

TEST(JsonSchema, EnumConstAnyOfAndLengths) {
  const auto g = from_schema(R"({"type":"object","properties":{
      "color":{"enum":["red","green",7]},
      "v":{"const":"x\"y"},
      "id":{"anyOf":[{"type":"integer"},{"type":"string","minLength":2,"maxLength":3}]}},
      "required":["color","v","id"]})");
  EXPECT_TRUE(matches(g, R"({"color":"red","v":"x\"y","id":12})"));
  EXPECT_TRUE(matches(g, R"({"color":7,"v":"x\"y","id":"abc"})"));
  EXPECT_FALSE(matches(g, R"({"color":"blue","v":"x\"y","id":12})"));
  EXPECT_FALSE(matches(g, R"({"color":"red","v":"xy","id":12})"));
  EXPECT_FALSE(matches(g, R"({"color":"red","v":"x\"y","id":"a"})"));
  EXPECT_FALSE(matches(g, R"({"color":"red","v":"x\"y","id":"abcd"})"));
}

TEST(JsonSchema, ArrayBoundsNestingAndRefs) {
  const auto g =
      from_schema(R"({"$defs":{"pt":{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]}},
      "type":"array","items":{"$ref":"#/$defs/pt"},"minItems":1,"maxItems":2})");
  EXPECT_TRUE(matches(g, R"([{"x":1}])"));
  EXPECT_TRUE(matches(g, R"([{"x":1}, {"x":-2}])"));
  EXPECT_FALSE(matches(g, "[]"));
  EXPECT_FALSE(matches(g, R"([{"x":1},{"x":2},{"x":3}])"));
  // A recursive schema through $ref.
  const auto tree = from_schema(R"({"$defs":{"node":{"type":"object","properties":{
      "kids":{"type":"array","items":{"$ref":"#/$defs/node"}}}}},"$ref":"#/$defs/node"})");
  EXPECT_TRUE(matches(tree, R"({"kids":[{},{"kids":[{}]}]})"));
  EXPECT_FALSE(matches(tree, R"({"kids":[1]})"));
}

TEST(JsonSchema, AnyJsonForEmptySchemaAndJsonObject) {
  const auto any = from_schema("{}");
  EXPECT_TRUE(matches(any, R"({"a":[1,{"b":null}],"c":"d"})"));
  EXPECT_TRUE(matches(any, "[true]"));
  const auto obj = from_schema(R"({"type":"object"})");
  EXPECT_TRUE(matches(obj, R"({"k": [1, 2]})"));
  EXPECT_FALSE(matches(obj, "[1]"));
}

TEST(JsonSchema, UnsupportedSchemasNameTheLocation) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"type":"object","properties":{"a":{"type":"bogus"}}})", "at '/properties/a/type': unknown type 'bogus'"},
      {R"({"$ref":"http://x/y"})", "at '/$ref': only local references"},
      {R"({"$ref":"#/$defs/none"})", "does not point into the schema"},
      {R"({"type":"array","minItems":-1})", "at '/minItems': must be a non-negative integer"},
      {R"({"type":"object","properties":{},"required":["z"]})", "'z' is not among the properties"},
      {R"(false)", "matches nothing"},
      {R"({"enum":[]})", "at '/enum'"},
  };
  for (const auto& [schema, message] : cases) {
    std::string e = "(converted)";
    try {
      json_schema_to_gbnf(json::parse(schema));
    } catch (const Error& err) {
      e = err.what();
    }
    EXPECT_NE(e.find(message), std::string::npos) << schema << " -> " << e;
  }
}

}  // namespace
}  // namespace lowbit::grammar
