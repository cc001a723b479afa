// The GBNF parser and matcher: sentences of hand-written grammars accepted,
// near misses rejected, and each kind of syntax error reported with its
// offset. The expected verdicts are worked out by hand from the grammars.
#include <gtest/gtest.h>

#include <memory>

#include "core/error.hpp"
#include "grammar/grammar.hpp"
#include "grammar/matcher.hpp"

namespace lowbit::grammar {
namespace {

std::shared_ptr<const CompiledGrammar> compile(const std::string& gbnf) {
  return std::make_shared<const CompiledGrammar>(parse_gbnf(gbnf));
}

// Whether `text` is a whole sentence of the grammar.
bool matches(const std::shared_ptr<const CompiledGrammar>& g, const std::string& text) {
  Matcher m(g);
  return m.accept(text) && m.is_complete();
}

// Whether `text` is a prefix of some sentence.
bool prefix_ok(const std::shared_ptr<const CompiledGrammar>& g, const std::string& text) {
  Matcher m(g);
  return m.accept(text);
}

std::string error_of(const std::string& gbnf) {
  try {
    parse_gbnf(gbnf);
  } catch (const Error& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(Gbnf, LiteralsAlternativesAndSequences) {
  const auto g = compile("root ::= \"ab\" | \"c\" d\nd ::= \"x\" \"y\"\n");
  EXPECT_TRUE(matches(g, "ab"));
  EXPECT_TRUE(matches(g, "cxy"));
  EXPECT_FALSE(matches(g, "a"));
  EXPECT_TRUE(prefix_ok(g, "a"));
  EXPECT_FALSE(prefix_ok(g, "b"));
  EXPECT_FALSE(matches(g, "abx"));
  EXPECT_FALSE(matches(g, "cx"));
}

TEST(Gbnf, CharacterClassesRangesAndNegation) {
  const auto g = compile(R"(root ::= [a-c0-9_] [^x-z\n] .)");
  EXPECT_TRUE(matches(g, "b!q"));
  EXPECT_TRUE(matches(g, "7a\t"));
  EXPECT_TRUE(matches(g, "_aé"));  // . is any code point, é two bytes
  EXPECT_FALSE(matches(g, "dab"));
  EXPECT_FALSE(matches(g, "ayb"));
  EXPECT_FALSE(matches(g, "a\nb"));
}

TEST(Gbnf, EscapesInLiteralsAndClasses) {
  const auto g = compile(R"(root ::= "\"\\\n\t\x41\u00e9\U0001F600" [\]\-\x30-\x31])");
  EXPECT_TRUE(matches(g, "\"\\\n\tA\xC3\xA9\xF0\x9F\x98\x80]"));
  EXPECT_TRUE(matches(g, "\"\\\n\tA\xC3\xA9\xF0\x9F\x98\x80-"));
  EXPECT_TRUE(matches(g,
                      "\"\\\n\tA\xC3\xA9\xF0\x9F\x98\x80"
                      "1"));
  EXPECT_FALSE(matches(g,
                       "\"\\\n\tA\xC3\xA9\xF0\x9F\x98\x80"
                       "2"));
}

TEST(Gbnf, RepetitionOperators) {
  const auto g = compile("root ::= \"a\"* \"b\"+ \"c\"? (\"de\"){2,3} \"f\"{2} \"g\"{1,}\n");
  EXPECT_TRUE(matches(g, "bdedeffg"));
  EXPECT_TRUE(matches(g, "aaabbcdededeffggg"));
  EXPECT_FALSE(matches(g, "dedeffg"));         // b+ needs one
  EXPECT_FALSE(matches(g, "bdeffg"));          // {2,3} needs two
  EXPECT_FALSE(matches(g, "bdededededeffg"));  // ... and at most three
  EXPECT_FALSE(matches(g, "bdedefg"));         // {2} exactly
  EXPECT_FALSE(matches(g, "bdedeff"));         // {1,} needs one
  EXPECT_FALSE(matches(g, "bccdedeffg"));      // ? at most one
}

TEST(Gbnf, GroupsCommentsAndMultiLineRules) {
  const auto g = compile(
      "# a list of words\n"
      "root ::= word (\",\" ws word)*   # at least one\n"
      "word ::= [a-z]+\n"
      "ws ::=\n"
      "  | \" \"\n"
      "list ::= (\n"
      "  \"x\" |\n"
      "  \"y\"\n"
      ")\n");
  EXPECT_TRUE(matches(g, "ab"));
  EXPECT_TRUE(matches(g, "ab,cd, ef"));
  EXPECT_FALSE(matches(g, "ab,  cd"));
  EXPECT_FALSE(matches(g, "ab,"));
  EXPECT_TRUE(prefix_ok(g, "ab,"));
}

TEST(Gbnf, RecursionThroughRules) {
  // Balanced parentheses: right recursion and nesting.
  const auto g = compile("root ::= (\"(\" root \")\")*\n");
  EXPECT_TRUE(matches(g, ""));
  EXPECT_TRUE(matches(g, "(()())()"));
  EXPECT_FALSE(matches(g, "(()"));
  EXPECT_TRUE(prefix_ok(g, "(()"));
  EXPECT_FALSE(prefix_ok(g, "())"));
}

TEST(Gbnf, Utf8IsMatchedByCodePointAndRefusedEarly) {
  const auto g = compile("root ::= [\\u0100-\\u01FF]\n");
  EXPECT_TRUE(matches(g, "\xC4\x80"));   // U+0100
  EXPECT_FALSE(matches(g, "\xC3\xA9"));  // U+00E9
  // The lead byte C3 can only start U+00C0..U+00FF: refused at once.
  EXPECT_FALSE(prefix_ok(g, "\xC3"));
  EXPECT_TRUE(prefix_ok(g, "\xC4"));
  EXPECT_FALSE(prefix_ok(g, "\xFF"));  // never UTF-8
  // Lead bytes of longer encodings start no code point below their range:
  // E0 opens U+0800.. and F0 U+10000.., so neither can begin a quote; an
  // overlong encoding of '"' (E0 80 A2) is no quote either.
  const auto quote = compile("root ::= \"\\\"\"\n");
  EXPECT_TRUE(matches(quote, "\""));
  EXPECT_FALSE(prefix_ok(quote, "\xE0"));
  EXPECT_FALSE(prefix_ok(quote, "\xF0"));
  EXPECT_FALSE(prefix_ok(quote, "\xC0"));
  const auto any = compile("root ::= [\\x00-\\x7F]\n");
  EXPECT_FALSE(prefix_ok(any, "\xE0\x80\xA2"));
  EXPECT_FALSE(prefix_ok(any, "\xC1\xA2"));
}

TEST(Gbnf, AcceptLeavesStateUnchangedOnRejection) {
  const auto g = compile("root ::= \"abc\"\n");
  Matcher m(g);
  ASSERT_TRUE(m.accept("a"));
  EXPECT_FALSE(m.accept("bx"));
  EXPECT_TRUE(m.accept("bc"));
  EXPECT_TRUE(m.is_complete());
  EXPECT_FALSE(m.can_continue());
}

// Found by fuzz-gbnf (a hang): a rule that can be empty in two ways, used n
// times in a row, reaches the same stacks along 2^n paths. The matcher
// bounds its expansions per character and refuses such a grammar with an
// error instead of running for hours.
TEST(Gbnf, ExponentiallyAmbiguousEmptinessIsRefusedNotHung) {
  std::string seq;
  for (int i = 0; i < 40; ++i) seq += "e ";
  const auto g = compile("root ::= " + seq + "\"x\"\ne ::= \"\" | f\nf ::= \"\"\n");
  try {
    Matcher m(g);
    (void)m.accept("x");
    FAIL() << "a grammar with 2^40 ways to the first character was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too ambiguous"), std::string::npos) << e.what();
  }
  // A few such rules stay well inside the bound and still match.
  const auto small = compile("root ::= e e e \"x\"\ne ::= \"\" | f\nf ::= \"\"\n");
  EXPECT_TRUE(matches(small, "x"));
}

struct ErrorCase {
  std::string gbnf;
  std::string message;  // part of the error
};

TEST(Gbnf, SyntaxErrorsNameTheOffset) {
  const ErrorCase cases[] = {
      {"root ::= \"abc", "offset 9 (line 1, column 10): unterminated string literal"},
      {"root ::= [abc", "offset 9 (line 1, column 10): unterminated character class"},
      {"root = \"a\"", "offset 5 (line 1, column 6): expected '::='"},
      {"root ::= x\n", "offset 9 (line 1, column 10): rule 'x' is used but never defined"},
      {"rot ::= \"a\"\n", "the grammar has no 'root' rule"},
      {"root ::= \"a\"\nroot ::= \"b\"\n", "offset 13 (line 2, column 1): rule 'root' is defined twice"},
      {"root ::= (\"a\"\n", "expected ')', found the end"},
      {"root ::= \"a\"{3,1}\n", "maximum below its minimum"},
      {"root ::= \"a\"{99999}\n", "repetition counts go up to 10000"},
      {"root ::= \"\\q\"\n", "offset 10 (line 1, column 11): unknown escape '\\q'"},
      {"root ::= \"\\x4\"\n", "the escape needs 2 hex digits"},
      {"root ::= [z-a]\n", "is reversed"},
      {"root ::= root \"a\"\n", "rule 'root' is left-recursive"},
      {"root ::= x\nx ::= \"b\"? root\n", "left-recursive"},
      {"root ::= (\"a\"?)*\n", "rule 'root' is left-recursive"},
      {"root ::= \"a\" )\n", "expected a newline after the rule"},
      {"root ::= * \"a\"\n", "offset 9 (line 1, column 10): expected a string, a character class, a rule name"},
      {"root ::= \"\xff\"\n", "invalid UTF-8"},
  };
  for (const ErrorCase& c : cases) {
    const std::string e = error_of(c.gbnf);
    EXPECT_NE(e.find("grammar: "), std::string::npos) << c.gbnf << " -> " << e;
    EXPECT_NE(e.find(c.message), std::string::npos) << c.gbnf << " -> " << e;
  }
}

TEST(Gbnf, HugeGrammarsAreRefused) {
  std::string big = "root ::=";
  for (int i = 0; i < 120; ++i) big += " \"a\"{10000}";
  EXPECT_NE(error_of(big + "\n").find("the grammar grows beyond"), std::string::npos);
}

}  // namespace
}  // namespace lowbit::grammar
