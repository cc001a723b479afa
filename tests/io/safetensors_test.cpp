// safetensors: the golden file written by tests/reference/gguf_ref.py (json +
// struct + NumPy, per the safetensors spec) is read value for value and
// rewritten byte for byte; malformed headers are Errors naming the problem.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "core/half.hpp"
#include "io/file_util.hpp"
#include "io/safetensors_file.hpp"

using namespace lowbit;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {
const std::string kGolden = std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/safetensors_tiny.safetensors";

template <typename T>
std::vector<T> values_of(std::span<const std::byte> d) {
  std::vector<T> v(d.size() / sizeof(T));
  std::memcpy(v.data(), d.data(), v.size() * sizeof(T));
  return v;
}
template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

std::string image(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  return out + json + data;
}
SafetensorsFile parse(const std::string& bytes) {
  return SafetensorsFile::parse(MappedFile::from_bytes(bytes, "x.safetensors"));
}
std::string error_of(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
std::string one(const std::string& entry, size_t data) {
  return image("{\"t\":" + entry + "}", std::string(data, '\0'));
}
}  // namespace

TEST(Safetensors, ReadsThePythonGoldenFile) {
  const SafetensorsFile f = SafetensorsFile::open(kGolden);
  ASSERT_EQ(f.metadata().size(), 2u);
  EXPECT_EQ(f.metadata()[0], (std::pair<std::string, std::string>{"format", "pt"}));
  EXPECT_EQ(f.metadata()[1].second, "lowbit golden");
  ASSERT_EQ(f.tensors().size(), 6u);

  const SafetensorsTensor& a = f.tensor("a");
  EXPECT_EQ(a.dtype->name, "F32");
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values_of<float>(f.data(a)), (std::vector<float>{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f}));
  const TensorView av = f.view(a);
  EXPECT_EQ(av.shape, (Shape{2, 3}));
  EXPECT_EQ(av.row<const float>(1)[2], 2.5f);

  const auto b = values_of<uint16_t>(f.data(f.tensor("b")));
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(fp16_to_f32(b[0]), 0.5f);
  EXPECT_EQ(fp16_to_f32(b[3]), 1024.0f);
  const auto c = values_of<uint16_t>(f.data(f.tensor("c")));
  EXPECT_EQ(c, (std::vector<uint16_t>{0x3f80, 0xc000, 0x3e20, 0x4040}));  // 1, -2, 0.15625, 3
  EXPECT_EQ(f.view(f.tensor("c")).dtype, DType::BF16);
  EXPECT_EQ(values_of<int8_t>(f.data(f.tensor("d"))), (std::vector<int8_t>{-128, -1, 0, 1, 127}));
  EXPECT_EQ(values_of<uint8_t>(f.data(f.tensor("e"))), (std::vector<uint8_t>{0, 7, 255}));
  EXPECT_EQ(values_of<int32_t>(f.data(f.tensor("f"))), (std::vector<int32_t>{-70000, 70000}));
  EXPECT_EQ(f.tensor("f").end + f.data_offset(), f.file_size());
}

TEST(Safetensors, WriterMatchesThePythonWriterByteForByte) {
  const std::vector<float> a{-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f};
  const std::vector<uint16_t> b{0x3800, 0xbc00, 0x4000, 0x6400};
  const std::vector<uint16_t> c{0x3f80, 0xc000, 0x3e20, 0x4040};
  const std::vector<int8_t> d{-128, -1, 0, 1, 127};
  const std::vector<uint8_t> e{0, 7, 255};
  const std::vector<int32_t> g{-70000, 70000};
  SafetensorsWriter w;
  w.set_metadata("format", "pt");
  w.set_metadata("note", "lowbit golden");
  w.add("a", TensorView(const_cast<float*>(a.data()), DType::F32, Shape{2, 3}));
  w.add("b", "F16", {4}, bytes_of(b));
  w.add("c", "BF16", {2, 2}, bytes_of(c));
  w.add("d", TensorView(const_cast<int8_t*>(d.data()), DType::I8, Shape{5}));
  w.add("e", "U8", {3}, bytes_of(e));
  w.add("f", "I32", {2}, bytes_of(g));
  const std::string golden = read_file(kGolden);
  EXPECT_TRUE(w.serialize() == golden) << w.serialize().substr(8, 200);

  const std::string path = ::testing::TempDir() + "/lowbit_safetensors_test_" + std::to_string(::getpid()) + ".safetensors";
  w.write(path);
  EXPECT_TRUE(read_file(path) == golden);
  std::remove(path.c_str());
}

TEST(Safetensors, RejectsBadHeaders) {
  EXPECT_THAT(error_of("abc"), AllOf(HasSubstr("x.safetensors"), HasSubstr("too short")));
  std::string huge(8, '\0');
  const uint64_t big = kSafetensorsMaxHeader + 1;
  std::memcpy(huge.data(), &big, 8);
  EXPECT_THAT(error_of(huge + "{}"), HasSubstr("above the 100000000 byte limit"));
  EXPECT_THAT(error_of(image("{}", "").substr(0, 9)), HasSubstr("only 1 bytes follow"));
  EXPECT_THAT(error_of(image("[1]", "")), HasSubstr("does not start with '{'"));
  EXPECT_THAT(error_of(image("{\"a\":", "")), HasSubstr("not valid JSON"));
  EXPECT_THAT(error_of(image("{\"__metadata__\":{\"k\":1}}", "")), HasSubstr("__metadata__ 'k' is not a string"));
  EXPECT_EQ(parse(image("{}", "")).tensors().size(), 0u);
}

TEST(Safetensors, RejectsBadTensorEntries) {
  EXPECT_THAT(error_of(one("{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}", 1)),
              HasSubstr("tensor 't' has unknown dtype 'Q4'"));
  EXPECT_THAT(error_of(one("{\"shape\":[1],\"data_offsets\":[0,4]}", 4)), HasSubstr("no dtype"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}", 4)),
              HasSubstr("not a dimension"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}", 4)),
              HasSubstr("hold 4 bytes, the shape needs 8"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}", 4)),
              HasSubstr("end before begin"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}", 4)),
              HasSubstr("data_offsets is not [begin, end]"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}", 4)),
              HasSubstr("shape overflows"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}", 0)),
              HasSubstr("shape overflows"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 3)),
              HasSubstr("run past the 3 data bytes"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 5)),
              HasSubstr("1 bytes after the last tensor"));
  EXPECT_THAT(error_of(one("{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}", 8)), HasSubstr("leave a gap"));
  const std::string two =
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
  EXPECT_THAT(error_of(image(two, std::string(8, '\0'))), HasSubstr("tensor 'b' data_offsets [4, 8] overlap"));
  const std::string dup =
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
      "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}";
  EXPECT_THAT(error_of(image(dup, std::string(2, '\0'))), HasSubstr("names 'a' twice"));
}

TEST(Safetensors, ViewRefusesTypesLowbitCannotHold) {
  const SafetensorsFile f = parse(one("{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}", 8));
  EXPECT_EQ(f.tensor("t").dtype->name, "F64");
  EXPECT_THAT([&] { f.view(f.tensor("t")); }, ::testing::ThrowsMessage<Error>(HasSubstr("dtype F64")));
  const SafetensorsFile r5 = parse(one("{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1],\"data_offsets\":[0,1]}", 1));
  EXPECT_THAT([&] { r5.view(r5.tensor("t")); }, ::testing::ThrowsMessage<Error>(HasSubstr("rank 5")));
}

TEST(Safetensors, EveryPrefixOfTheGoldenFileIsAnError) {
  const std::string golden = read_file(kGolden);
  for (size_t n = 0; n < golden.size(); ++n) EXPECT_THROW(parse(golden.substr(0, n)), Error) << n;
}
