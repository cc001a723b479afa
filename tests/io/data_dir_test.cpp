// The data finder: the files that ship in data/ are found (and are the
// files data/README.md describes, by size and first bytes), and
// $LOWBIT_DATA_DIR comes before every other folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "io/data_dir.hpp"

using namespace lowbit;
namespace fs = std::filesystem;

namespace {

// Sets $LOWBIT_DATA_DIR for one test and restores the previous value.
class ScopedDataDirEnv {
 public:
  explicit ScopedDataDirEnv(const std::string& dir) {
    if (const char* old = std::getenv("LOWBIT_DATA_DIR")) old_ = old, had_ = true;
    setenv("LOWBIT_DATA_DIR", dir.c_str(), 1);
  }
  ~ScopedDataDirEnv() {
    if (had_) setenv("LOWBIT_DATA_DIR", old_.c_str(), 1);
    else unsetenv("LOWBIT_DATA_DIR");
  }

 private:
  std::string old_;
  bool had_ = false;
};

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

TEST(DataDir, FindsTheShippedCorpus) {
  const std::string p = find_data_file("tinyshakespeare.txt");
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(fs::file_size(p), 1115394u);
  EXPECT_EQ(first_line(p), "First Citizen:");
}

TEST(DataDir, FindsTheShippedLlama3Ranks) {
  const std::string p = find_data_file("llama3-tiktoken.model");
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(fs::file_size(p), 2183982u);
  EXPECT_EQ(first_line(p), "IQ== 0");  // base64 of "!", rank 0
}

TEST(DataDir, TheSourceTreeDataFolderIsSearched) {
  const fs::path want = fs::path(LOWBIT_SOURCE_DIR) / "data";
  bool found = false;
  for (const fs::path& d : data_dirs()) found |= d.lexically_normal() == want.lexically_normal();
  EXPECT_TRUE(found);
}

TEST(DataDir, MissingFileGivesEmpty) { EXPECT_EQ(find_data_file("no-such-file.bin"), ""); }

TEST(DataDir, EnvironmentVariableComesFirst) {
  const fs::path dir = fs::temp_directory_path() / ("lowbit-data-dir-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  { std::ofstream(dir / "tinyshakespeare.txt") << "override\n"; }
  {
    ScopedDataDirEnv env(dir.string());
    ASSERT_EQ(data_dirs().front(), dir);
    const std::string p = find_data_file("tinyshakespeare.txt");
    EXPECT_EQ(fs::path(p), (dir / "tinyshakespeare.txt").lexically_normal());
    EXPECT_EQ(first_line(p), "override");
    // A file the override folder lacks still comes from the other folders.
    EXPECT_EQ(first_line(find_data_file("llama3-tiktoken.model")), "IQ== 0");
  }
  fs::remove_all(dir);
  EXPECT_EQ(first_line(find_data_file("tinyshakespeare.txt")), "First Citizen:");
}
