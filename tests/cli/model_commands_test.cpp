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

// Issue 18: `quantize --head-type` writes the tied head in ggml's type
// (named as in llama.cpp: token_embd.weight), and --exact-greedy on a
// low-bit head gives the greedy text of the f16 head, from the
// --keep-f16-embd layout or from a head quantized at load.
TEST_F(ModelCommands, HeadTypesAndExactGreedy) {
  const std::string gen = "generate -p hello -n 24 --temp 0 -t 1 -m ";
  const Result base = run(gen + path("m.gguf"));
  ASSERT_EQ(base.status, 0) << base.err;
  for (const char* type : {"q8_0", "q6_k", "q4_0"}) {
    const std::string out = path(std::string("m-head-") + type + ".gguf");
    const Result q = run(fmt::format("quantize {} {} --head-type {}", path("m.gguf"), out, type));
    ASSERT_EQ(q.status, 0) << q.err;
    const Result i = run("info " + out);
    ASSERT_EQ(i.status, 0) << i.err;
    const size_t at = i.out.find("token_embd.weight");
    ASSERT_NE(at, std::string::npos) << i.out;
    EXPECT_NE(i.out.substr(at, i.out.find('\n', at) - at).find(type), std::string::npos) << i.out;
    EXPECT_EQ(run(gen + out).status, 0) << type;
  }
  // The q4_0 head alone picks other tokens on this model (so the two checks below can fail).
  const Result low = run(gen + path("m.gguf") + " --head-type q4_0");
  ASSERT_EQ(low.status, 0) << low.err;
  EXPECT_NE(low.out, base.out);
  const std::string keep = path("m-keep.gguf");
  ASSERT_EQ(run(fmt::format("quantize {} {} --head-type q4_0 --keep-f16-embd", path("m.gguf"), keep)).status, 0);
  const Result exact_file = run(gen + keep + " --exact-greedy 8");
  ASSERT_EQ(exact_file.status, 0) << exact_file.err;
  EXPECT_EQ(exact_file.out, base.out);
  const Result exact_load = run(gen + path("m.gguf") + " --head-type q4_0 --exact-greedy 8");
  ASSERT_EQ(exact_load.status, 0) << exact_load.err;
  EXPECT_EQ(exact_load.out, base.out);
  // No f16 rows to re-score from, and a type that is no head format.
  EXPECT_EQ(run(gen + path("m-head-q4_0.gguf") + " --exact-greedy 8").status, 1);
  EXPECT_EQ(run(gen + path("m.gguf") + " --head-type tq2_0").status, 1);
  EXPECT_EQ(run(fmt::format("quantize {} {} --head-type i2_s", path("m.gguf"), path("x.gguf"))).status, 1);
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

namespace {

// `lowbit info` on a tq2_0 file of llama.cpp's `bitnet` arch: the family,
// its gate and the projections' real type; no claim about type 36 (it used
// to print "(bitnet.cpp file: type 36 = i2_s)" for every bitnet-b1.58 file).
TEST_F(ModelCommands, InfoNamesTheFamilyAndTheRealFormats) {
  ASSERT_EQ(run(fmt::format("random-model -o {} --arch bitnet --type tq2_0 --vocab 300 --embd 256 --layers 2 "
                            "--heads 4 --kv-heads 2 --ff 512",
                            path("bitnet_tq2.gguf")))
                .status,
            0);
  const Result r = run(fmt::format("info {}", path("bitnet_tq2.gguf")));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("family:       bitnet (BitNet b1.58 (llama.cpp's bitnet"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gate silu"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("projections:  tq2_0 x 14"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("head:         f16 (tied to token_embd)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("type 36"), std::string::npos) << r.out;
  // The 2B4T arch in I2_S does say what type 36 is.
  ASSERT_EQ(run(fmt::format("quantize {} {} i2_s", path("m.gguf"), path("info_i2s.gguf"))).status, 0);
  const Result i2s = run(fmt::format("info {}", path("info_i2s.gguf")));
  ASSERT_EQ(i2s.status, 0) << i2s.err;
  EXPECT_NE(i2s.out.find("type 36 = bitnet.cpp's i2_s"), std::string::npos) << i2s.out;
  EXPECT_NE(i2s.out.find("projections:  i2_s x 14"), std::string::npos) << i2s.out;
}

// A llama F16 model runs, and under --int8 reports LLM.int8 projections.
TEST_F(ModelCommands, LlamaFamilyRunsFloatAndInt8) {
  ASSERT_EQ(run(fmt::format("random-model -o {} --arch llama --type f16 --untied --vocab 300 --embd 256 --layers 2 "
                            "--heads 4 --kv-heads 2 --ff 512",
                            path("llama_f16.gguf")))
                .status,
            0);
  const Result f = run(fmt::format("generate -m {} -p hi -n 4 --temp 0", path("llama_f16.gguf")));
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_NE(f.err.find("llama (LLaMA"), std::string::npos) << f.err;
  const Result q = run(fmt::format("generate -m {} -p hi -n 4 --temp 0 --int8", path("llama_f16.gguf")));
  ASSERT_EQ(q.status, 0) << q.err;
  EXPECT_NE(q.err.find("int8 (LLM.int8"), std::string::npos) << q.err;
}

}  // namespace
