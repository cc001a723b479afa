// The API key: byte-exact comparison of the Authorization header, and
// reading the key from a file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "server/api_key.hpp"

namespace lowbit::server {
namespace {

TEST(ApiKey, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("Bearer abc", "Bearer abc"));
  EXPECT_FALSE(constant_time_equal("Bearer abd", "Bearer abc"));
  EXPECT_FALSE(constant_time_equal("Bearer ab", "Bearer abc"));
  EXPECT_FALSE(constant_time_equal("Bearer abcd", "Bearer abc"));
  EXPECT_FALSE(constant_time_equal("", "Bearer abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(ApiKey, BearerMustMatchExactly) {
  const std::string good = "Bearer k1";
  EXPECT_TRUE(bearer_matches(&good, "k1"));
  for (const std::string& bad : {std::string("Bearer k1\0x", 11), std::string("Bearer k1 "), std::string("bearer k1"),
                                std::string("Bearer  k1"), std::string("k1"), std::string("Bearer k")}) {
    EXPECT_FALSE(bearer_matches(&bad, "k1")) << bad;
  }
  EXPECT_FALSE(bearer_matches(nullptr, "k1"));
}

class KeyFile : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_ = (std::filesystem::temp_directory_path() / ("lowbit-key-" + std::to_string(getpid()))).string();
};

TEST_F(KeyFile, FirstLineWithoutItsEnding) {
  EXPECT_EQ(read_api_key_file(write("abc\n")), "abc");
  EXPECT_EQ(read_api_key_file(write("abc\r\nsecond line\n")), "abc");
  EXPECT_EQ(read_api_key_file(write("abc")), "abc");
}

TEST_F(KeyFile, EmptyMissingOrControlCharactersAreErrors) {
  EXPECT_THROW(read_api_key_file(write("")), Error);
  EXPECT_THROW(read_api_key_file(write("\nkey\n")), Error);
  EXPECT_THROW(read_api_key_file(write(std::string("a\0b\n", 4))), Error);
  EXPECT_THROW(read_api_key_file(path_ + ".does-not-exist"), Error);
}

}  // namespace
}  // namespace lowbit::server
