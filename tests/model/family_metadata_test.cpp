// Odd metadata in an otherwise valid peer-layout GGUF (written by
// tests/reference/family_ref.py) is refused with a message that names the
// key, never run with garbage or left to fail in an allocation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <unistd.h>

#include "io/gguf_file.hpp"
#include "io/gguf_writer.hpp"
#include "model/gguf_model.hpp"

namespace lowbit {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class FamilyMetadata : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::path(::testing::TempDir()) / fmt::format("lowbit_family_meta_{}", ::getpid());
    for (const char* c : {"llama", "bitnet"}) {
      const std::string cmd = fmt::format("/usr/bin/python3 {}/tests/reference/family_ref.py --case {} --dir {}",
                                          LOWBIT_SOURCE_DIR, c, (dir_ / c).string());
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    }
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  // The case's direct.gguf with key set to value (or removed when value is
  // empty); returns the error message of loading it ("" if it loads).
  static std::string load_with(const char* c, const std::string& key, std::optional<GgufValue> value) {
    const GgufFile g = GgufFile::open((dir_ / c / "direct.gguf").string());
    GgufWriter w;
    for (const auto& [k, v] : g.metadata().entries())
      if (k != key) w.metadata().set(k, v);
    if (value) w.metadata().set(key, *value);
    for (const GgufTensorInfo& t : g.tensors()) w.add_tensor(t.name, *t.format, t.shape(), g.data(t));
    const std::string out = (dir_ / fmt::format("{}_{}.gguf", c, ::testing::UnitTest::GetInstance()->current_test_info()->name())).string();
    w.write(out);
    try {
      load_gguf_model(out);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  static fs::path dir_;
};
fs::path FamilyMetadata::dir_;

TEST_F(FamilyMetadata, TheUnchangedFilesLoad) {
  EXPECT_EQ(load_with("llama", "general.name", GgufValue{std::string("x")}), "");
  EXPECT_EQ(load_with("bitnet", "general.name", GgufValue{std::string("x")}), "");
}

TEST_F(FamilyMetadata, RopeDimensionZeroOrHuge) {
  EXPECT_THAT(load_with("llama", "llama.rope.dimension_count", GgufValue{uint32_t(0)}),
              HasSubstr("key 'llama.rope.dimension_count' = 0 is out of range"));
  EXPECT_THAT(load_with("llama", "llama.rope.dimension_count", GgufValue{uint32_t(4294967295u)}),
              HasSubstr("key 'llama.rope.dimension_count' = 4294967295 is out of range"));
  EXPECT_THAT(load_with("llama", "llama.rope.dimension_count", GgufValue{uint32_t(64)}),
              HasSubstr("'llama.rope.dimension_count' = 64: only rotary embeddings over the whole head"));
}

TEST_F(FamilyMetadata, EosIdOutsideTheVocabulary) {
  EXPECT_THAT(load_with("llama", "tokenizer.ggml.eos_token_id", GgufValue{uint32_t(5000)}),
              HasSubstr("tokenizer.ggml.eos_token_id"));
}

TEST_F(FamilyMetadata, UnknownActivation) {
  EXPECT_THAT(load_with("bitnet", "bitnet.hidden_activation", GgufValue{std::string("gelu")}),
              HasSubstr("key 'bitnet.hidden_activation' = 'gelu' is not a known activation"));
}

TEST_F(FamilyMetadata, AbsurdCounts) {
  EXPECT_THAT(load_with("llama", "llama.context_length", GgufValue{uint32_t(100000000)}),
              HasSubstr("key 'llama.context_length' = 100000000 is out of range"));
  EXPECT_THAT(load_with("llama", "llama.block_count", GgufValue{uint32_t(0)}),
              HasSubstr("key 'llama.block_count' = 0 is out of range"));
  EXPECT_THAT(load_with("llama", "llama.attention.head_count_kv", GgufValue{uint32_t(3)}),
              HasSubstr("key 'llama.attention.head_count_kv' = 3 does not divide"));
  EXPECT_THAT(load_with("llama", "llama.embedding_length", std::nullopt), HasSubstr("llama.embedding_length"));
  EXPECT_THAT(load_with("llama", "llama.rope.scaling.type", GgufValue{std::string("yarn")}),
              HasSubstr("key 'llama.rope.scaling.type' = 'yarn' is not supported"));
}

TEST_F(FamilyMetadata, UnknownArchitectureNamesTheFamilies) {
  EXPECT_THAT(load_with("llama", "general.architecture", GgufValue{std::string("mamba")}),
              HasSubstr("architecture 'mamba' is not supported (lowbit runs bitnet, bitnet-b1.58, hgrn-bit, llama)"));
}

}  // namespace
}  // namespace lowbit
