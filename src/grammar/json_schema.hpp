// JSON schema -> GBNF grammar, for constrained output (OpenAI's
// response_format, llama-server's json_schema). The common subset: object
// (properties, required; other keys are not allowed), array (items,
// minItems, maxItems), string (minLength, maxLength), number, integer,
// boolean, null, enum, const, anyOf / oneOf, type lists, local $ref to
// #/$defs or #/definitions, and true / {} for any JSON value. Properties come
// in the schema's order (hence ordered_json); optional ones may be left out. Whitespace between
// tokens is at most one space, and numbers have at most 16 digits, so a
// sampled document always ends.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace lowbit::grammar {

// Throws lowbit::Error naming the schema location (a JSON pointer) of what
// it cannot convert.
std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema);

// A GBNF string literal matching exactly `text`.
std::string gbnf_literal(std::string_view text);

}  // namespace lowbit::grammar
