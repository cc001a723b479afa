// GGUF string arrays left in the file: the encoding (by hand, from the spec),
// reads against the std::vector<std::string> they replace, malformed bytes,
// and the lifetime rules (the strings keep the mapping alive; dropped pages
// come back from the file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "io/gguf_file.hpp"
#include "io/gguf_strings.hpp"
#include "io/gguf_writer.hpp"

using namespace lowbit;
using ::testing::HasSubstr;

namespace {
std::string encoded(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    const uint64_t n = s.size();
    out.append(reinterpret_cast<const char*>(&n), 8);
    out += s;
  }
  return out;
}

std::span<const std::byte> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

std::string error_of(const std::string& bytes, uint64_t count) {
  try {
    GgufStrings::view(nullptr, bytes_of(bytes), count);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> random_strings(size_t n) {
  std::mt19937 rng(9);
  std::vector<std::string> v(n);
  for (std::string& s : v) {
    s.resize(rng() % 24);  // empty strings and NULs included
    for (char& c : s) c = char(rng() % 256);
  }
  return v;
}
}  // namespace

TEST(GgufStrings, EncodesAsTheSpecSaysAndReadsBack) {
  const std::vector<std::string> v = random_strings(500);
  const GgufStrings s = GgufStrings::encode(v);
  EXPECT_EQ(s.size(), v.size());
  const std::string want = encoded(v);
  ASSERT_EQ(s.encoded().size(), want.size());
  EXPECT_EQ(std::memcmp(s.encoded().data(), want.data(), want.size()), 0);
  EXPECT_EQ(s.to_vector(), v);
  size_t payload = 0;
  for (const std::string& x : v) payload += x.size();
  EXPECT_EQ(s.payload_bytes(), payload);
  EXPECT_EQ(s, GgufStrings::encode(StringList(v)));
  EXPECT_NE(s, GgufStrings::encode(std::vector<std::string>(v.begin(), v.end() - 1)));
  EXPECT_EQ(GgufStrings().begin(), GgufStrings().end());
  EXPECT_TRUE(GgufStrings::encode(std::vector<std::string>{}).empty());
}

TEST(GgufStrings, ViewRejectsMalformedBytes) {
  const std::string two = encoded({"ab", "c"});
  EXPECT_NO_THROW(GgufStrings::view(nullptr, bytes_of(two), 2));
  EXPECT_THAT(error_of(two, 3), HasSubstr("string 2 of 3 has no length"));
  EXPECT_THAT(error_of(two, 1), HasSubstr("bytes after the last of 1 strings"));
  EXPECT_THAT(error_of(two.substr(0, two.size() - 1), 2), HasSubstr("string 1 of 2 runs past the end"));
  EXPECT_THAT(error_of(two.substr(0, 5), 1), HasSubstr("string 0 of 1 has no length"));
}

TEST(GgufStrings, ParsedArraysStayInTheFileAndOutliveIt) {
  const std::vector<std::string> v = random_strings(300);
  GgufWriter w;
  w.metadata().set("v", GgufArray::of(v));
  w.metadata().set("s", std::string("x"));
  GgufStrings kept;
  {
    const GgufFile f = GgufFile::parse(MappedFile::from_bytes(w.serialize(), "v.gguf"));
    const GgufStrings& s = f.metadata().get_strings("v");
    EXPECT_EQ(s.to_vector(), v);
    EXPECT_EQ(f.metadata().get_array<std::string>("v"), v);
    // Zero copy: the bytes are the file's.
    const std::byte* file = f.mapped_file().data();
    EXPECT_GE(s.encoded().data(), file);
    EXPECT_LE(s.encoded().data() + s.encoded().size(), file + f.file_size());
    EXPECT_EQ(f.metadata().find_strings("absent"), nullptr);
    EXPECT_THAT([&] { f.metadata().get_strings("s"); },
                ::testing::ThrowsMessage<Error>(HasSubstr("v.gguf: metadata key 's' has type string, expected array")));
    kept = s;
  }
  EXPECT_EQ(kept.to_vector(), v);  // the file is gone, its bytes are not
}

TEST(GgufStrings, DroppedMetadataPagesReadBackFromTheFile) {
  // Enough strings to span several pages of a real mapped file.
  const std::vector<std::string> v = random_strings(20000);
  GgufWriter w;
  w.metadata().set("v", GgufArray::of(v));
  const std::string path = ::testing::TempDir() + "/lowbit_gguf_strings_" + std::to_string(::getpid()) + ".gguf";
  w.write(path);
  {
    const GgufFile f = GgufFile::open(path);
    ASSERT_TRUE(f.mapped_file().mapped());
    EXPECT_EQ(f.metadata().get_strings("v").to_vector(), v);
    f.drop_metadata_pages();
    EXPECT_EQ(f.metadata().get_strings("v").to_vector(), v);
  }
  std::remove(path.c_str());
}
