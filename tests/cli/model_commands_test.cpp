// The model commands as users run them (the lowbit binary): a random model
// is quantized between the ternary formats and must generate the same
// greedy text in each (the ternary values and scale survive every
// conversion); bad files and flags give one-line errors and exit status 1.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

namespace {

namespace fs = std::filesystem;

struct Result {
  int status;
  std::string out, err;
};

Result run(const std::string& args) {
  static int n = 0;
  const std::string err_path = fmt::format("{}/lowbit-cli-{}-{}.err", fs::temp_directory_path().string(), ::getpid(), n++);
  const std::string cmd = fmt::format("{} {} 2>{}", LOWBIT_EXE, args, err_path);
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  std::array<char, 4096> buf;
  size_t k;
  while ((k = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), k);
  r.status = WEXITSTATUS(pclose(p));
  std::ifstream e(err_path);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  fs::remove(err_path);
  return r;
}

class ModelCommands : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / fmt::format("lowbit-cli-models-{}", ::getpid());
    fs::create_directories(dir_);
    const Result r = run(fmt::format("random-model -o {}/m.gguf --type tq2_0 --vocab 300 --embd 256 --layers 2 "
                                     "--heads 4 --kv-heads 2 --ff 512 --ctx 128",
                                     dir_.string()));
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string path(const std::string& f) { return (dir_ / f).string(); }
  static fs::path dir_;
};
fs::path ModelCommands::dir_;

TEST_F(ModelCommands, GreedyTextIsTheSameInEveryTernaryFormat) {
  const Result base = run(fmt::format("generate -m {} -p hello -n 24 --temp 0 -t 1", path("m.gguf")));
  ASSERT_EQ(base.status, 0) << base.err;
  ASSERT_FALSE(base.out.empty());
  EXPECT_NE(base.err.find("generated"), std::string::npos) << "timings go to stderr";
  for (const char* type : {"tq1_0", "i2_s", "f32"}) {
    const std::string out = path(std::string("m-") + type + ".gguf");
    const Result q = run(fmt::format("quantize {} {} {}", path("m.gguf"), out, type));
    ASSERT_EQ(q.status, 0) << q.err;
    const Result g = run(fmt::format("generate -m {} -p hello -n 24 --temp 0 -t 1", out));
    ASSERT_EQ(g.status, 0) << g.err;
    if (std::string(type) != "f32") {  // f32 runs float math on the ternary values: may differ
      EXPECT_EQ(g.out, base.out) << type;
    }
  }
}

TEST_F(ModelCommands, InfoListsTensorsAndBenchReportsTheBound) {
  const Result i = run(fmt::format("info {}", path("m.gguf")));
  ASSERT_EQ(i.status, 0) << i.err;
  EXPECT_NE(i.out.find("blk.1.ffn_down.weight"), std::string::npos);
  EXPECT_NE(i.out.find("tq2_0"), std::string::npos);
  const Result b = run(fmt::format("bench -m {} -p 16 -n 8 -t 1 -r 1", path("m.gguf")));
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_NE(b.out.find("of bound"), std::string::npos) << b.out;
}

TEST_F(ModelCommands, BadFilesAndFlagsAreOneLineErrors) {
  const std::string truncated = path("truncated.gguf");
  fs::copy_file(path("m.gguf"), truncated, fs::copy_options::overwrite_existing);
  fs::resize_file(truncated, fs::file_size(truncated) / 2);
  for (const std::string& args :
       {fmt::format("generate -m {} -n 4", truncated), fmt::format("generate -m {}/missing.gguf", dir_.string()),
        fmt::format("quantize {} {} q9_9", path("m.gguf"), path("x.gguf")),
        fmt::format("generate -m {} -n 4 -c 2 -p \"a long prompt that does not fit\"", path("m.gguf"))}) {
    const Result r = run(args);
    EXPECT_EQ(r.status, 1) << args;
    // Diagnostics (what was loaded) may come first; the error is the last
    // line, and the only one.
    const size_t at = r.err.find("lowbit: error: ");
    ASSERT_NE(at, std::string::npos) << args << "\n" << r.err;
    EXPECT_TRUE(at == 0 || r.err[at - 1] == '\n') << r.err;
    EXPECT_EQ(r.err.find('\n', at), r.err.size() - 1) << args << "\n" << r.err;
  }
  // Errors about a file name the file.
  EXPECT_NE(run(fmt::format("generate -m {} -n 4", truncated)).err.find(truncated), std::string::npos);
}

}  // namespace

namespace {

// The README's first command: `lowbit generate` with no arguments runs the
// bundled model (found from any working directory).
TEST(BundledModel, GenerateWithNoArgumentsWritesText) {
  const Result r = run("generate -n 32 -s 1 -t 1");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GT(r.out.size(), 32u) << r.out;
  EXPECT_NE(r.err.find("shakespeare-b158.gguf"), std::string::npos) << r.err;
}

}  // namespace
