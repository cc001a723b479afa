// `lowbit train` as users run it: a finished run says so (no 0-step
// "result"), --out-dir moves the exported GGUF too, Ctrl-C checkpoints and
// exits 130, a failed run leaves no empty directory; and paths that are not
// what a command wants (a directory for a file, a missing directory) name
// themselves in the error.
#include <gtest/gtest.h>

#include "lowbit_process.hpp"

namespace {

using namespace lowbit_test;

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("lowbit-train-cli-{}-{}", ::getpid(),
                                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::string text;
    for (int i = 0; i < 300; ++i) text += fmt::format("line {} of a small text, with words and numbers {}\n", i, i * 7);
    std::ofstream(dir_ / "data.txt") << text;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A tiny run of `steps`; its config names out_dir "run" and export "tiny.gguf" in the test's directory.
  std::string config(int64_t steps, const std::string& data = "data.txt") {
    std::string path = (dir_ / fmt::format("cfg-{}.json", steps)).string();
    std::ofstream(path) << fmt::format(R"({{
      "data": {{"path": "{}", "split": 0.9}},
      "tokenizer": {{"type": "byte"}},
      "model": {{"n_embd": 32, "n_layer": 1, "n_head": 2, "n_head_kv": 1, "n_ff": 64, "context": 32}},
      "quant": {{"type": "bitlinear158"}},
      "optim": {{"lr": 3e-3, "warmup": 1, "steps": {}}},
      "batch_size": 2, "seq_len": 16, "seed": 7, "eval_every": 1, "eval_batches": 1, "checkpoint_every": 1000,
      "out_dir": "{}", "export": {{"path": "{}", "type": "f32"}} }})",
                                       (dir_ / data).string(), steps, (dir_ / "run").string(),
                                       (dir_ / "tiny.gguf").string());
    return path;
  }
  std::string at(const std::string& f) const { return (dir_ / f).string(); }
  fs::path dir_;
};

TEST_F(TrainCli, OutDirMovesTheExportAndAFinishedRunSaysSo) {
  const std::string cfg = config(3);
  const Result a = run_lowbit(fmt::format("train {} --out-dir {} -t 1", cfg, at("a")));
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_TRUE(fs::exists(at("a/tiny.gguf"))) << a.err;
  EXPECT_FALSE(fs::exists(at("tiny.gguf"))) << "the config's export path is not used under --out-dir";
  const std::string first = read_all(at("a/tiny.gguf"));
  // A second run elsewhere (another seed would differ; the point is where it writes).
  const Result b = run_lowbit(fmt::format("train {} --out-dir {} -t 1", cfg, at("b")));
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_TRUE(fs::exists(at("b/tiny.gguf")));
  EXPECT_EQ(read_all(at("a/tiny.gguf")), first);
  EXPECT_EQ(fs::last_write_time(at("a/tiny.gguf")) <= fs::last_write_time(at("b/tiny.gguf")), true);

  const auto before = fs::last_write_time(at("a/tiny.gguf"));
  const Result again = run_lowbit(fmt::format("train {} --out-dir {} -t 1", cfg, at("a")));
  EXPECT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(again.out.find("train_loss 0.0000"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("0 tok/s"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("finished"), std::string::npos) << again.out;
  EXPECT_EQ(fs::last_write_time(at("a/tiny.gguf")), before) << "nothing rewritten";
}

TEST_F(TrainCli, InterruptCheckpointsAndExits130) {
  PtySession s({"train", config(1000000), "-t", "1"});
  ASSERT_TRUE(s.started());
  ASSERT_NE(s.wait_for("step ", 0), std::string::npos) << s.screen();
  s.signal(SIGINT);
  EXPECT_EQ(s.wait_exit(), 130) << s.screen();
  EXPECT_NE(s.screen().find("interrupted"), std::string::npos) << s.screen();
  bool checkpoint = false;
  for (const auto& e : fs::directory_iterator(at("run"))) checkpoint |= e.path().extension() == ".safetensors";
  EXPECT_TRUE(checkpoint);
}

TEST_F(TrainCli, ProgressIntoALogHasNoCarriageReturns) {
  const Result r = run_lowbit(fmt::format("train {} -t 1", config(3)));
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("step      3/3"), std::string::npos) << r.err;
}

TEST_F(TrainCli, FailedRunLeavesNoEmptyOutDir) {
  const Result r = run_lowbit(fmt::format("train {} -t 1", config(3, "missing.txt")));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("missing.txt"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(at("run")));
}

TEST_F(TrainCli, PathsOfTheWrongKindNameThemselves) {
  fs::create_directories(at("adir"));
  const Result t = run_lowbit("train " + at("adir"));
  EXPECT_EQ(t.status, 1);
  EXPECT_NE(t.err.find(at("adir") + ": is a directory"), std::string::npos) << t.err;
  const Result p = run_lowbit("perplexity -f " + at("adir"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.err.find(at("adir") + ": is a directory"), std::string::npos) << p.err;
  const Result c = run_lowbit(fmt::format("convert {} -o {}", at("nonexist"), at("x.gguf")));
  EXPECT_EQ(c.status, 1);
  EXPECT_NE(c.err.find(at("nonexist") + ": no such directory"), std::string::npos) << c.err;
}

}  // namespace
