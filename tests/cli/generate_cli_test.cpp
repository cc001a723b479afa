// `lowbit generate` with llama.cpp's flags, on the bundled model: the
// prompt from a file or stdin, -e escapes, --system through the chat
// template, -r reverse prompts, -i, -cnv, penalties, --ignore-eos, seeds,
// context limits, --log-disable / --verbose, --color.
#include <gtest/gtest.h>

#include "lowbit_process.hpp"

namespace {

using namespace lowbit_test;

std::string temp_file(const std::string& name, const std::string& text) {
  std::string path = (fs::temp_directory_path() / fmt::format("lowbit-gen-{}-{}", ::getpid(), name)).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(GenerateCli, PromptFromFileAndStdin) {
  const std::string f = temp_file("prompt.txt", "ROMEO:\nWhat light");
  const Result r = run_lowbit(fmt::format("generate -f {} --echo -n 4 --temp 0 -t 1", f));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("ROMEO:\nWhat light", 0), 0u) << r.out;
  const Result p = run_lowbit("generate -p \"ROMEO:\nWhat light\" -n 4 --temp 0 -t 1");
  const Result s = run_lowbit("generate -f - -n 4 --temp 0 -t 1", "ROMEO:\nWhat light");
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_EQ(s.out, p.out) << "the same prompt from stdin gives the same text";
  const Result f_and_p = run_lowbit(fmt::format("generate -f {} -p x", f));
  EXPECT_EQ(f_and_p.status, 1);
  fs::remove(f);
}

TEST(GenerateCli, EscapesOnlyWithDashE) {
  const Result e = run_lowbit(R"(generate -e -p 'a\nb\tc\\d\"e\x41\x7a' --echo -n 0)");
  ASSERT_EQ(e.status, 0) << e.err;
  EXPECT_EQ(e.out, "a\nb\tc\\d\"eAz\n");
  const Result raw = run_lowbit(R"(generate -p 'a\nb' --echo -n 0)");
  EXPECT_EQ(raw.out, "a\\nb\n");
}

TEST(GenerateCli, SystemAppliesTheChatTemplate) {
  const Result r = run_lowbit("generate --system 'Be brief.' -p 'Hello' --template plain --echo -n 0");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "System: Be brief.\nUser: Hello\nAssistant:\n");
}

TEST(GenerateCli, ReversePromptStopsAndIsShown) {
  const Result plain = run_lowbit("generate -p KING: -n 40 --temp 0 -t 1");
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_GT(plain.out.size(), 20u);
  const std::string cue = plain.out.substr(10, 4);
  const std::string want = plain.out.substr(0, plain.out.find(cue) + cue.size());
  const Result r = run_lowbit(fmt::format("generate -p KING: -n 40 --temp 0 -t 1 -r '{}'", cue));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, want + "\n");
  // --stop hides the text that stops it.
  const Result s = run_lowbit(fmt::format("generate -p KING: -n 40 --temp 0 -t 1 --stop '{}'", cue));
  EXPECT_EQ(s.out, plain.out.substr(0, plain.out.find(cue)) + "\n");
}

TEST(GenerateCli, InteractiveTakesTheUsersLinesUntilEof) {
  const Result r = run_lowbit("generate -i -p KING: -n 8 --temp 0 -t 1 --verbose", "and then\nmore\n");
  ASSERT_EQ(r.status, 0) << r.err;
  // Three answers: after the prompt and after each of the two lines.
  size_t reports = 0;
  for (size_t at = 0; (at = r.err.find("generated ", at)) != std::string::npos; ++at) ++reports;
  EXPECT_EQ(reports, 3u) << r.err;
}

TEST(GenerateCli, ConversationModeIsChat) {
  const Result r = run_lowbit("generate -cnv -p 'You are a poet.' -n 8 --temp 0 -t 1", "Hello\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("chat template"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[8 tokens"), std::string::npos) << r.err;
}

TEST(GenerateCli, PenaltiesChangeGreedyText) {
  const Result base = run_lowbit("generate -p KING: -n 48 --temp 0 -t 1");
  const Result freq = run_lowbit("generate -p KING: -n 48 --temp 0 -t 1 --frequency-penalty 2");
  const Result pres = run_lowbit("generate -p KING: -n 48 --temp 0 -t 1 --presence-penalty 2 --repeat-last-n -1");
  ASSERT_EQ(freq.status, 0) << freq.err;
  ASSERT_EQ(pres.status, 0) << pres.err;
  EXPECT_NE(freq.out, base.out);
  EXPECT_NE(pres.out, base.out);
}

TEST(GenerateCli, IgnoreEosRunsToTheLimit) {
  // -c 32 and -n -1: without --ignore-eos the answer may stop at EOS;
  // with it, only the full context stops it.
  const Result r = run_lowbit("generate -p KING: -c 32 -n -1 --temp 0 -t 1 --ignore-eos --verbose");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("generation cut: the context is full"), std::string::npos) << r.err;
}

TEST(GenerateCli, SeedsAreRandomUnlessGiven) {
  const std::string args = "generate -p KING: -n 32 --temp 1 -t 1";
  const Result a = run_lowbit(args + " --verbose"), b = run_lowbit(args);
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_NE(a.out, b.out) << "no --seed: a random seed per run";
  EXPECT_NE(run_lowbit(args + " --seed -1").out, run_lowbit(args + " --seed -1").out);
  EXPECT_EQ(run_lowbit(args + " --seed 5").out, run_lowbit(args + " --seed 5").out);
  // Every seed a run can print is accepted (random ones use all 64 bits).
  const Result top = run_lowbit(args + " --seed 18446744073709551615");
  ASSERT_EQ(top.status, 0) << top.err;
  EXPECT_EQ(run_lowbit(args + " --seed 18446744073709551615").out, top.out);
  EXPECT_EQ(run_lowbit(args + " --seed 18446744073709551616").status, 1);
  // --verbose names the seed, and that seed repeats the run.
  const size_t at = a.err.find("seed ");
  ASSERT_NE(at, std::string::npos) << a.err;
  const std::string seed = a.err.substr(at + 5, a.err.find(' ', at + 5) - at - 5);
  EXPECT_EQ(run_lowbit(args + " --seed " + seed).out, a.out) << seed;
}

TEST(GenerateCli, ContextLimits) {
  const Result big = run_lowbit("generate -c 100000 -n 4");
  EXPECT_EQ(big.status, 1);
  EXPECT_NE(big.err.find("model's context of 256"), std::string::npos) << big.err;
  const Result one = run_lowbit("generate -c 1 -n 4");
  EXPECT_EQ(one.status, 1) << one.out;
  EXPECT_NE(one.err.find("lowbit: error: "), std::string::npos);
  const Result alias = run_lowbit("generate --ctx-size 64 -p KING: -n 4 --temp 0 -t 1");
  EXPECT_EQ(alias.status, 0) << alias.err;
}

TEST(GenerateCli, PerplexityDefaultsToTheModelsContext) {
  const Result r =
      run_lowbit(fmt::format("perplexity -f {}/data/tinyshakespeare.txt --chunks 1 -t 1", LOWBIT_SOURCE_DIR));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("chunks of 256)"), std::string::npos) << r.out;
}

TEST(GenerateCli, LogDisableAndVerbose) {
  const Result quiet = run_lowbit("generate -p KING: -n 4 --temp 0 -t 1 --log-disable");
  ASSERT_EQ(quiet.status, 0);
  EXPECT_EQ(quiet.err, "");
  EXPECT_FALSE(quiet.out.empty());
  const Result loud = run_lowbit("generate -p KING: -n 4 --temp 0 -t 1 --verbose");
  EXPECT_NE(loud.err.find("lowbit: seed "), std::string::npos) << loud.err;
  const Result normal = run_lowbit("generate -p KING: -n 4 --temp 0 -t 1");
  EXPECT_EQ(normal.err.find("lowbit: seed "), std::string::npos) << normal.err;
  EXPECT_NE(normal.err.find("loaded"), std::string::npos);
}

TEST(GenerateCli, ColorOnlyOnATerminal) {
  const Result pipe = run_lowbit("generate -p KING: -n 2 --temp 0 -t 1 --echo --color");
  EXPECT_EQ(pipe.out.find('\033'), std::string::npos);
  PtySession s({"generate", "-p", "KING:", "-n", "2", "--temp", "0", "-t", "1", "--echo", "--color"});
  EXPECT_EQ(s.wait_exit(), 0);
  EXPECT_NE(s.screen().find("\033[32mKING:\033[0m"), std::string::npos) << s.screen();
}

}  // namespace
