// `lowbit layers` end to end: the experiment table, `layers run` against
// the library and the NumPy golden files, and one-line errors for bad .npy.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "io/npy.hpp"
#include "nn/linear_layer.hpp"

using namespace lowbit;
namespace fs = std::filesystem;

namespace {

struct Result {
  int status;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class LayersCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lowbit-layers-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result lowbit(const std::string& args) {
    const fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
    const std::string cmd = std::string(LOWBIT_EXE) + " " + args + " >" + out.string() + " 2>" + err.string();
    const int rc = std::system(cmd.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(out), slurp(err)};
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

Tensor random_matrix(int64_t rows, int64_t cols, uint64_t seed) {
  Rng rng(seed);
  Tensor t = Tensor::f32({rows, cols});
  for (float& v : t.span<float>()) v = rng.normal();
  return t;
}

std::string golden(const std::string& name, const std::string& part) {
  return std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/layers_" + name + "_" + part + ".npy";
}

int lines(const std::string& s) { return int(std::count(s.begin(), s.end(), '\n')); }

}  // namespace

TEST_F(LayersCli, ExperimentPrintsEveryType) {
  const Result r = lowbit("layers -t 2");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* row : {"\nfloat ", "\nbitlinear (S1", "\nbitlinear158 (S4", "\nhbitlinear (S3", "\nint8 (S5",
                          "\nbitlinear (BUGGY"})
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
}

TEST_F(LayersCli, RunMatchesLibrary) {
  const Tensor w = random_matrix(6, 16, 1), x = random_matrix(3, 16, 2);
  npy_save(path("w.npy"), w);
  npy_save(path("x.npy"), x);
  const Result r = lowbit("layers run --type bitlinear --groups 2 --bits 4 --weight " + path("w.npy") + " --input " +
                          path("x.npy") + " -o " + path("y.npy"));
  ASSERT_EQ(r.status, 0) << r.err;
  const Tensor y = npy_load(path("y.npy"));
  ASSERT_EQ(y.shape(), (Shape{3, 6}));
  LinearOptions opt;
  opt.groups = 2;
  opt.bits = 4;
  auto l = make_linear(LinearType::BitLinear, npy_load(path("w.npy")), opt);
  std::vector<float> want(18);
  l->forward(x.data<float>(), 3, want.data());
  for (int k = 0; k < 18; ++k) EXPECT_EQ(y.data<float>()[k], want[size_t(k)]) << k;
}

TEST_F(LayersCli, RunMatchesNumpyGolden) {
  const Result r = lowbit("layers run --type hbitlinear --act-bits 4 --weight " + golden("hbitlinear_a4_in24", "w") +
                          " --input " + golden("hbitlinear_a4_in24", "x") + " -o " + path("y.npy"));
  ASSERT_EQ(r.status, 0) << r.err;
  const Tensor y = npy_load(path("y.npy")), want = npy_load(golden("hbitlinear_a4_in24", "y"));
  ASSERT_EQ(y.shape(), want.shape());
  for (int64_t k = 0; k < y.numel(); ++k) EXPECT_NEAR(y.data<float>()[k], want.data<float>()[k], 1e-5) << k;
}

TEST_F(LayersCli, ShapeMismatchIsOneLineNamingTheFile) {
  npy_save(path("w.npy"), random_matrix(6, 16, 1));
  npy_save(path("x.npy"), random_matrix(3, 15, 2));
  const Result r = lowbit("layers run --type int8 --weight " + path("w.npy") + " --input " + path("x.npy") + " -o " +
                          path("y.npy"));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(path("x.npy")), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[3, 15]"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(path("y.npy")));
}

TEST_F(LayersCli, WrongDtypeIsOneLineNamingTheFile) {
  // a valid .npy of float64 values
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += char(header.size() & 0xff);
  bytes += char(header.size() >> 8);
  bytes += header + std::string(4 * 8, '\0');
  std::ofstream(path("w.npy"), std::ios::binary) << bytes;
  npy_save(path("x.npy"), random_matrix(3, 2, 2));
  const Result r = lowbit("layers run --type bitlinear158 --weight " + path("w.npy") + " --input " + path("x.npy") +
                          " -o " + path("y.npy"));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(path("w.npy")), std::string::npos) << r.err;
}

TEST_F(LayersCli, TruncatedFileIsOneLineNamingTheFile) {
  npy_save(path("w.npy"), random_matrix(6, 16, 1));
  npy_save(path("x.npy"), random_matrix(3, 16, 2));
  fs::resize_file(path("x.npy"), fs::file_size(path("x.npy")) - 10);
  const Result r = lowbit("layers run --type float --weight " + path("w.npy") + " --input " + path("x.npy") + " -o " +
                          path("y.npy"));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(path("x.npy")), std::string::npos) << r.err;
}

TEST_F(LayersCli, NonFiniteInputIsRejected) {
  Tensor x = random_matrix(3, 16, 2);
  x.data<float>()[17] = std::nanf("");
  npy_save(path("w.npy"), random_matrix(6, 16, 1));
  npy_save(path("x.npy"), x);
  const Result r = lowbit("layers run --type int8 --weight " + path("w.npy") + " --input " + path("x.npy") + " -o " +
                          path("y.npy"));
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find(path("x.npy") + ": element 17"), std::string::npos) << r.err;
}

TEST_F(LayersCli, UnknownTypeFails) {
  npy_save(path("w.npy"), random_matrix(6, 16, 1));
  const Result r = lowbit("layers run --type ternary --weight " + path("w.npy") + " --input " + path("w.npy") + " -o " +
                          path("y.npy"));
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("bitlinear158"), std::string::npos) << r.err;
}
