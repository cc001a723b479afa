// The command line's promises (README): every failure is one
// `lowbit: error: ...` line and exit status 1, parse errors included;
// `lowbit` and `lowbit help` print the usage; every command takes -m;
// progress goes to a log file as plain lines, and an error after a progress
// line on a terminal starts on a line of its own.
#include <gtest/gtest.h>

#include "lowbit_process.hpp"

namespace {

using namespace lowbit_test;

void expect_one_error_line(const Result& r, const std::string& args) {
  EXPECT_EQ(r.status, 1) << args << "\n" << r.err;
  const std::vector<std::string> lines = lines_of(r.err);
  ASSERT_FALSE(lines.empty()) << args;
  const std::string& last = lines.back();
  EXPECT_EQ(last.rfind("lowbit: error: ", 0), 0u) << args << "\n" << r.err;
  EXPECT_LT(last.size(), 200u) << "a readable line: " << last;
  EXPECT_EQ(r.err.find("lowbit: error: "), r.err.rfind("lowbit: error: ")) << "one error line\n" << r.err;
  EXPECT_EQ(r.err.back(), '\n');
}

TEST(CliErrors, ParseErrorsAreOneLineAndExitOne) {
  for (const std::string& args :
       {std::string("generate -t 0"), std::string("generate --bogus-flag"), std::string("generate -n abc"),
        std::string("generate -c 0"), std::string("quantize"), std::string("perplexity"), std::string("nosuchcommand"),
        std::string("layers run --type bitlinear --weight w.npy --input x.npy -o y.npy --groups 0"),
        std::string("generate --temp -1"), std::string("generate --presence-penalty 3")}) {
    const Result r = run_lowbit(args);
    expect_one_error_line(r, args);
    EXPECT_TRUE(r.out.empty()) << args << ": " << r.out;
  }
  // The messages say what is wrong in plain numbers (no 309-digit DBL_MAX).
  EXPECT_NE(run_lowbit("generate -t 0").err.find("--threads: must be between 1 and 1024, got 0"), std::string::npos);
  const Result groups = run_lowbit("layers run --type bitlinear --weight w.npy --input x.npy -o y.npy --groups 0");
  EXPECT_NE(groups.err.find("--groups: must be at least 1, got 0"), std::string::npos) << groups.err;
}

TEST(CliErrors, HelpAndNoArgumentsPrintTheUsage) {
  const Result help = run_lowbit("help");
  EXPECT_EQ(help.status, 0) << help.err;
  EXPECT_NE(help.out.find("generate"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("perplexity"), std::string::npos) << help.out;
  EXPECT_EQ(help.err.find("A subcommand is required"), std::string::npos) << help.err;
  const Result bare = run_lowbit("");
  EXPECT_NE(bare.out.find("Usage"), std::string::npos) << bare.out;
  EXPECT_NE(bare.out.find("generate"), std::string::npos) << bare.out;
  EXPECT_EQ(bare.err.find("A subcommand is required"), std::string::npos) << bare.err;
  const Result gen = run_lowbit("help generate");
  EXPECT_EQ(gen.status, 0);
  EXPECT_NE(gen.out.find("--n-predict"), std::string::npos) << gen.out;
  expect_one_error_line(run_lowbit("help nosuchcommand"), "help nosuchcommand");
}

TEST(CliErrors, HelpShowsTheDefaults) {
  const Result r = run_lowbit("generate --help");
  ASSERT_EQ(r.status, 0);
  for (const char* want : {"--temp FLOAT:0..100=0.8", "=40", "=0.95", "=128", "-s,--seed INT=-1", "=the model's", "=64",
                           "-t,--threads INT:1..1024=all cores"})
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  const Result ppl = run_lowbit("perplexity --help");
  EXPECT_NE(ppl.out.find("-c,--ctx-size INT:1..1048576=the model's"), std::string::npos) << ppl.out;
}

TEST(CliErrors, InfoAndQuantizeTakeDashM) {
  const std::string m = bundled_model();
  const Result pos = run_lowbit("info " + m), flag = run_lowbit("info -m " + m);
  ASSERT_EQ(flag.status, 0) << flag.err;
  EXPECT_EQ(flag.out, pos.out);
  EXPECT_NE(flag.out.find("tensors"), std::string::npos);
  const std::string out = (fs::temp_directory_path() / fmt::format("lowbit-q-{}.gguf", ::getpid())).string();
  const Result q = run_lowbit(fmt::format("quantize -m {} {} tq1_0", m, out));
  ASSERT_EQ(q.status, 0) << q.err;
  EXPECT_TRUE(fs::exists(out));
  fs::remove(out);
  const Result p = run_lowbit(fmt::format("quantize {} {} tq1_0", m, out));  // the positional form still works
  ASSERT_EQ(p.status, 0) << p.err;
  fs::remove(out);
  expect_one_error_line(run_lowbit(fmt::format("quantize -m {} {}", m, out)), "quantize -m without a type");
}

// A float model whose projections cannot be packed in 256-wide blocks:
// quantize copies the first tensors (progress) and then fails.
class ProgressThenError : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = (fs::temp_directory_path() / fmt::format("lowbit-progress-{}.gguf", ::getpid())).string();
    const Result r =
        run_lowbit(fmt::format("random-model -o {} --type f32 --vocab 300 --embd 64 --layers 1 --heads 2 "
                               "--kv-heads 1 --ff 128 --ctx 32",
                               model_));
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() { fs::remove(model_); }
  static std::string model_;
};
std::string ProgressThenError::model_;

TEST_F(ProgressThenError, LogFileGetsNoCarriageReturns) {
  const Result r = run_lowbit(fmt::format("quantize {} /tmp/never-{}.gguf tq2_0", model_, ::getpid()));
  expect_one_error_line(r, "quantize into blocks that do not fit");
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
}

TEST_F(ProgressThenError, TerminalErrorStartsOnAFreshLine) {
  PtySession s({"quantize", model_, fmt::format("/tmp/never-{}.gguf", ::getpid()), "tq2_0"});
  ASSERT_TRUE(s.started());
  EXPECT_EQ(s.wait_exit(), 1);
  const std::string& t = s.screen();
  const size_t at = t.find("lowbit: error: ");
  ASSERT_NE(at, std::string::npos) << t;
  ASSERT_NE(t.find("\rquantize ["), std::string::npos) << "the bar redraws in place on a terminal:\n" << t;
  EXPECT_TRUE(at >= 1 && t[at - 1] == '\n') << t;
}

}  // namespace
