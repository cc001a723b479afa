// GGUF parsing of hand-built byte images (from the spec, not from our
// writer): every malformed case is an Error that names the file and the
// field, and no prefix of a valid file can crash the reader.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "io/file_util.hpp"
#include "io/gguf_file.hpp"
#include "io/gguf_writer.hpp"

using namespace lowbit;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

// Little-endian byte image builder.
struct Img {
  std::string s;
  template <typename T>
  Img& put(T x) {
    s.append(reinterpret_cast<const char*>(&x), sizeof(T));
    return *this;
  }
  Img& u32(uint32_t x) { return put(x); }
  Img& i32(int32_t x) { return put(x); }
  Img& u64(uint64_t x) { return put(x); }
  Img& i64(int64_t x) { return put(x); }
  Img& str(const std::string& x) {
    u64(x.size());
    s += x;
    return *this;
  }
  Img& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    s += "GGUF";
    return u32(version).u64(n_tensors).u64(n_kv);
  }
  Img& kv_u32(const std::string& k, uint32_t v) { return str(k).u32(4).u32(v); }
  // Tensor info: name, dims (innermost first), ggml type, offset.
  Img& info(const std::string& name, std::vector<int64_t> ne, int32_t type, uint64_t offset) {
    str(name).u32(uint32_t(ne.size()));
    for (int64_t n : ne) i64(n);
    return i32(type).u64(offset);
  }
  Img& pad(size_t a) {
    s.resize((s.size() + a - 1) / a * a, '\0');
    return *this;
  }
  Img& zeros(size_t n) {
    s.append(n, '\0');
    return *this;
  }
};

GgufFile parse(const std::string& bytes) { return GgufFile::parse(MappedFile::from_bytes(bytes, "x.gguf")); }

std::string error_of(const std::string& bytes) {
  try {
    parse(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// One f32 tensor "w" of ne {4, 2} (32 bytes) at offset 0.
std::string one_tensor(int32_t type = 0, std::vector<int64_t> ne = {4, 2}, uint64_t offset = 0, size_t data = 32) {
  Img i;
  i.header(1, 0).info("w", ne, type, offset).pad(32).zeros(data);
  return i.s;
}

}  // namespace

TEST(GgufParse, MinimalFiles) {
  Img empty;
  empty.header(0, 0);
  const GgufFile f = parse(empty.s);
  EXPECT_EQ(f.tensors().size(), 0u);
  EXPECT_EQ(f.metadata().size(), 0u);
  EXPECT_EQ(f.architecture(), "");

  const GgufFile t = parse(one_tensor());
  EXPECT_EQ(t.data_offset(), 96u);  // 24 header + 41 info -> 65, padded to 32
  EXPECT_EQ(t.tensors()[0].nbytes, 32u);
  EXPECT_EQ(t.tensors()[0].shape(), (Shape{2, 4}));

  Img v2;
  v2.header(0, 1, 2).kv_u32("a", 7);
  EXPECT_EQ(parse(v2.s).metadata().get_u32("a"), 7u);
}

TEST(GgufParse, RejectsBadHeaders) {
  EXPECT_THAT(error_of("GGUX\3\0\0\0"), AllOf(HasSubstr("x.gguf"), HasSubstr("magic at byte 0")));
  EXPECT_THAT(error_of("GG"), AllOf(HasSubstr("x.gguf"), HasSubstr("magic")));
  EXPECT_THAT(error_of(""), HasSubstr("magic"));
  Img v1, v4, be;
  v1.header(0, 0, 1);
  v4.header(0, 0, 4);
  be.header(0, 0, 0x03000000);
  EXPECT_THAT(error_of(v1.s), AllOf(HasSubstr("version at byte 4 is 1"), HasSubstr("x.gguf")));
  EXPECT_THAT(error_of(v4.s), HasSubstr("version at byte 4 is 4"));
  EXPECT_THAT(error_of(be.s), HasSubstr("big-endian"));
  EXPECT_THAT(error_of(std::string("GGUF\3\0\0\0\0\0", 10)), HasSubstr("n_tensors at byte 8"));
}

TEST(GgufParse, RejectsCountsTheFileCannotHold) {
  Img kv, neg, tens;
  kv.header(0, uint64_t(1) << 40);
  neg.header(~uint64_t(0), 0);
  tens.header(3, 0).info("w", {4}, 0, 0);
  EXPECT_THAT(error_of(kv.s), AllOf(HasSubstr("n_kv at byte 16"), HasSubstr("more than")));
  EXPECT_THAT(error_of(neg.s), AllOf(HasSubstr("n_tensors at byte 8"), HasSubstr("negative")));
  EXPECT_THAT(error_of(tens.s), HasSubstr("n_tensors"));
}

TEST(GgufParse, RejectsBadKeysAndValues) {
  Img huge, empty, type, dup, boolean;
  huge.header(0, 1).u64(uint64_t(1) << 60).zeros(16);
  EXPECT_THAT(error_of(huge.s), AllOf(HasSubstr("key of metadata entry 0 at byte 24"), HasSubstr("string length")));
  empty.header(0, 1).str("").u32(4).u32(1);
  EXPECT_THAT(error_of(empty.s), HasSubstr("key of metadata entry 0 at byte 24 is empty"));
  type.header(0, 1).str("k").u32(13).u32(0);
  EXPECT_THAT(error_of(type.s), AllOf(HasSubstr("metadata 'k' type at byte 33"), HasSubstr("not a GGUF value type")));
  dup.header(0, 2).kv_u32("a", 1).kv_u32("a", 2);
  EXPECT_THAT(error_of(dup.s), AllOf(HasSubstr("duplicate metadata key 'a'"), HasSubstr("byte 41")));
  boolean.header(0, 1).str("b").u32(7).put<uint8_t>(2);
  EXPECT_THAT(error_of(boolean.s), AllOf(HasSubstr("metadata 'b'"), HasSubstr("bool of value 2")));
  Img trunc;
  trunc.header(0, 1).str("k").u32(6).put<uint16_t>(0);
  EXPECT_THAT(error_of(trunc.s), AllOf(HasSubstr("metadata 'k' at byte 37"), HasSubstr("needs 4 bytes")));
}

TEST(GgufParse, RejectsBadArrays) {
  Img len, deep, elem;
  len.header(0, 1).str("a").u32(9).u32(5).u64(uint64_t(1) << 62).zeros(8);
  EXPECT_THAT(error_of(len.s), AllOf(HasSubstr("metadata 'a' length"), HasSubstr("more than")));
  // Arrays nested 20 deep: each level is (type = array, count = 1).
  deep.header(0, 1).str("d").u32(9);
  for (int i = 0; i < 20; ++i) deep.u32(9).u64(1);
  deep.u32(0).u64(0);
  EXPECT_THAT(error_of(deep.s), HasSubstr("nested deeper than 8"));
  elem.header(0, 1).str("e").u32(9).u32(77).u64(0);
  EXPECT_THAT(error_of(elem.s), HasSubstr("metadata 'e' element type at byte 37 is 77"));
}

TEST(GgufParse, RejectsBadAlignment) {
  Img npot, type;
  npot.header(0, 1).kv_u32("general.alignment", 48);
  EXPECT_THAT(error_of(npot.s), AllOf(HasSubstr("general.alignment"), HasSubstr("not a power of two")));
  type.header(0, 1).str("general.alignment").u32(5).i32(32);
  EXPECT_THAT(error_of(type.s), AllOf(HasSubstr("general.alignment"), HasSubstr("type i32, expected u32")));
}

TEST(GgufParse, RejectsBadTensorInfos) {
  Img dims;
  dims.header(1, 0).str("w").u32(5).zeros(40);
  EXPECT_THAT(error_of(dims.s), AllOf(HasSubstr("tensor 'w' n_dims at byte 33 is 5"), HasSubstr("x.gguf")));
  EXPECT_THAT(error_of(one_tensor(0, {4, -2})), HasSubstr("tensor 'w' ne[1] at byte 45 is negative"));
  EXPECT_THAT(error_of(one_tensor(0, {int64_t(1) << 40, int64_t(1) << 40})), HasSubstr("element count overflows"));
  EXPECT_THAT(error_of(one_tensor(0, {int64_t(1) << 40, 1})), HasSubstr("needs more bytes than the file has"));
  // Found by fuzzing: a zero dim hid the overflow of the others.
  EXPECT_THAT(error_of(one_tensor(0, {0, int64_t(1) << 40, int64_t(1) << 40})), HasSubstr("element count overflows"));
  EXPECT_EQ(parse(one_tensor(0, {0, 3}, 0, 0)).tensors()[0].nbytes, 0u);
  EXPECT_THAT(error_of(one_tensor(0, {4, 2}, 16)), HasSubstr("offset at byte 57 is 16, not a multiple of the alignment 32"));
  EXPECT_THAT(error_of(one_tensor(0, {4, 2}, 0, 31)), AllOf(HasSubstr("tensor 'w'"), HasSubstr("runs past the end")));
  EXPECT_THAT(error_of(one_tensor(0, {4, 2}, 32)), HasSubstr("runs past the end"));
  EXPECT_THAT(error_of(one_tensor(8, {16, 2}, 0, 68)), HasSubstr("ne[0] = 16 is not a multiple of the block size 32"));

  Img longname;
  longname.header(1, 0).info(std::string(64, 'n'), {4}, 0, 0).pad(32).zeros(16);
  EXPECT_THAT(error_of(longname.s), HasSubstr("has 64 bytes; names must have 1 to 63"));
  Img dup;
  dup.header(2, 0).info("w", {8}, 0, 0).info("w", {8}, 0, 32).pad(32).zeros(64);
  EXPECT_THAT(error_of(dup.s), HasSubstr("duplicate tensor name 'w' at byte 57"));
  Img overlap;
  overlap.header(2, 0).info("a", {16}, 0, 0).info("b", {8}, 0, 32).pad(32).zeros(64);
  EXPECT_THAT(error_of(overlap.s), AllOf(HasSubstr("tensor 'b'"), HasSubstr("overlaps tensor 'a' at [0, 64)")));
  Img apart;  // the same two tensors without overlap are fine, in any order
  apart.header(2, 0).info("a", {16}, 0, 32).info("b", {8}, 0, 0).pad(32).zeros(96);
  EXPECT_EQ(parse(apart.s).tensor("a").offset, 32u);
}

TEST(GgufParse, UnknownTypesAreListedButNotLoaded) {
  const GgufFile f = parse(one_tensor(39));
  const GgufTensorInfo& t = f.tensors()[0];
  EXPECT_EQ(t.format, nullptr);
  EXPECT_EQ(t.type_name(), "unknown type 39");
  EXPECT_THAT([&] { f.data(t); }, ::testing::ThrowsMessage<Error>(
                                      AllOf(HasSubstr("tensor 'w' has unknown type 39"), HasSubstr("cannot load"))));
  EXPECT_THROW(f.view(t), Error);
}

TEST(GgufParse, Type36IsI2SInEveryFile) {
  // bitnet.cpp writes I2_S (type 36) under bitnet-b1.58, and under bitnet
  // and llama for the 1bitLLM and Llama3-8B-1.58 models: all are read as
  // I2_S. I2_S of 256 elements: 64 bytes of codes + a 32-byte trailer.
  Img upstream;
  upstream.header(1, 0).info("w", {128, 2}, 36, 0).pad(32).zeros(96);
  EXPECT_EQ(parse(upstream.s).tensors()[0].type_name(), "i2_s");
  for (const std::string& id : {std::string("arch"), std::string("ftype")}) {
    Img fork;
    fork.header(1, 1);
    if (id == "arch") fork.str("general.architecture").u32(8).str("bitnet");
    else fork.kv_u32("general.file_type", 40);
    fork.info("w", {128, 2}, 36, 0).pad(32).zeros(96);
    const GgufFile f = parse(fork.s);
    EXPECT_EQ(f.bitnet_fork(), id == "ftype");
    EXPECT_EQ(f.tensors()[0].type_name(), "i2_s");
    EXPECT_EQ(f.tensors()[0].nbytes, 96u);
    EXPECT_EQ(f.view(f.tensors()[0]).dtype, DType::Packed);
  }
  // Another layout under id 36 fails the size check instead of being misread.
  Img short_data;
  short_data.header(1, 0).info("w", {128, 2}, 36, 0).pad(32).zeros(40);
  EXPECT_THROW(parse(short_data.s), Error);
}

TEST(GgufParse, EveryPrefixOfAValidFileParsesOrThrows) {
  const std::string golden = read_file(std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/gguf_tiny.gguf");
  int errors = 0;
  for (size_t n = 0; n < golden.size(); ++n) {
    try {
      parse(golden.substr(0, n));
    } catch (const Error& e) {
      ++errors;
      EXPECT_THAT(e.what(), HasSubstr("x.gguf"));
    }
  }
  // Only the 12 padding bytes after the last tensor's 68 bytes may be missing.
  EXPECT_EQ(errors, int(golden.size()) - 12);
}

TEST(GgufMetadata, TypedAccessors) {
  GgufMetadata m("m.gguf");
  m.add("n", uint32_t(7));
  m.add("s", "text");
  m.add("i", int32_t(-3));
  m.add("big", uint64_t(1) << 63);
  m.add("a", GgufArray::of(std::vector<float>{1, 2}));
  EXPECT_EQ(m.get_u32("n"), 7u);
  EXPECT_EQ(m.find_u32("n"), 7u);
  EXPECT_EQ(m.find_u32("absent"), std::nullopt);
  EXPECT_EQ(m.get_int("i"), -3);
  EXPECT_EQ(m.get_int("n"), 7);
  EXPECT_EQ(m.get_array<float>("a"), (std::vector<float>{1, 2}));
  EXPECT_THAT([&] { m.get_u32("absent"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("m.gguf: metadata key 'absent' is missing")));
  EXPECT_THAT([&] { m.get_u32("i"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("metadata key 'i' has type i32, expected u32")));
  EXPECT_THAT([&] { m.find_u32("s"); }, ::testing::ThrowsMessage<Error>(HasSubstr("type string, expected u32")));
  EXPECT_THAT([&] { m.get_array<int32_t>("a"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("is an array of f32, expected an array of i32")));
  EXPECT_THAT([&] { m.get_int("big"); }, ::testing::ThrowsMessage<Error>(HasSubstr("too large")));
  EXPECT_THAT([&] { m.get_int("s"); }, ::testing::ThrowsMessage<Error>(HasSubstr("expected an integer")));
  EXPECT_THAT([&] { m.add("n", uint32_t(1)); }, ::testing::ThrowsMessage<Error>(HasSubstr("duplicate metadata key 'n'")));
  m.set("n", uint32_t(9));
  EXPECT_EQ(m.get_u32("n"), 9u);
}

TEST(GgufWriter, RejectsWhatGgmlCouldNotRead) {
  GgufWriter w;
  const std::vector<float> data(8);
  const auto bytes = std::as_bytes(std::span<const float>(data));
  const FormatTraits& f32 = format_traits(Format::F32);
  w.add_tensor("a", f32, Shape{2, 4}, bytes);
  EXPECT_THAT([&] { w.add_tensor("a", f32, Shape{8}, bytes); },
              ::testing::ThrowsMessage<Error>(HasSubstr("duplicate tensor name 'a'")));
  EXPECT_THAT([&] { w.add_tensor("b", f32, Shape{9}, bytes); },
              ::testing::ThrowsMessage<Error>(HasSubstr("got 32 bytes, expected 36")));
  EXPECT_THAT([&] { w.add_tensor(std::string(64, 'x'), f32, Shape{8}, bytes); },
              ::testing::ThrowsMessage<Error>(HasSubstr("ggml accepts 1 to 63")));
  EXPECT_THAT([&] { w.add_tensor("q", format_traits(Format::Q8_0), Shape{2, 16}, bytes); },
              ::testing::ThrowsMessage<Error>(HasSubstr("not a multiple of the q8_0 block size 32")));
  w.metadata().add("general.alignment", uint32_t(24));
  EXPECT_THAT([&] { w.serialize(); }, ::testing::ThrowsMessage<Error>(HasSubstr("power of two")));
}
