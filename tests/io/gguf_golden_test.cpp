// GGUF against an independent writer: tests/reference/gguf_ref.py wrote
// golden/gguf_tiny.gguf with Python's struct and NumPy from the GGUF spec.
// The reader must return exactly the values hard-coded there, and lowbit's
// writer must produce the same bytes from the same content.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/half.hpp"
#include "io/file_util.hpp"
#include "io/gguf_file.hpp"
#include "io/gguf_writer.hpp"

using namespace lowbit;

namespace {
const std::string kGolden = std::string(LOWBIT_SOURCE_DIR) + "/tests/reference/golden/gguf_tiny.gguf";

template <typename T>
std::vector<T> values_of(std::span<const std::byte> d) {
  std::vector<T> v(d.size() / sizeof(T));
  std::memcpy(v.data(), d.data(), v.size() * sizeof(T));
  return v;
}

std::vector<float> w_values() {
  std::vector<float> w;
  for (int i = 0; i < 15; ++i) w.push_back(float(i) * 0.25f - 1.0f);
  return w;
}
std::vector<float> v_values() {
  std::vector<float> v;
  for (int i = 0; i < 24; ++i) v.push_back(float(i) / 8);
  return v;
}
std::vector<uint16_t> e_values() { return {0x3c00, 0xc100, 0x3800, 0x7bff}; }  // 1, -2.5, 0.5, 65504
std::vector<uint8_t> q_values() {
  std::vector<uint8_t> q;
  for (int r = 0; r < 2; ++r) {
    const uint16_t d = r == 0 ? 0x3800 : 0x3c00;  // 0.5, 1.0
    q.push_back(uint8_t(d & 0xff));
    q.push_back(uint8_t(d >> 8));
    for (int i = -16; i < 16; ++i) q.push_back(uint8_t(int8_t(i)));
  }
  return q;
}
template <typename T>
std::span<const std::byte> bytes_of(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}
}  // namespace

TEST(GgufGolden, ReadsEveryMetadataTypeWrittenByPython) {
  const GgufFile f = GgufFile::open(kGolden);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 16u);
  EXPECT_EQ(f.architecture(), "tiny");
  EXPECT_FALSE(f.bitnet_fork());
  const GgufMetadata& m = f.metadata();
  ASSERT_EQ(m.size(), 20u);
  EXPECT_EQ(m.entries()[0].first, "general.architecture");
  EXPECT_EQ(m.entries()[19].first, "t.nested");
  EXPECT_EQ(m.get<uint8_t>("t.u8"), 200);
  EXPECT_EQ(m.get<int8_t>("t.i8"), -100);
  EXPECT_EQ(m.get<uint16_t>("t.u16"), 60000);
  EXPECT_EQ(m.get<int16_t>("t.i16"), -30000);
  EXPECT_EQ(m.get_u32("t.u32"), 4000000000u);
  EXPECT_EQ(m.get_i32("t.i32"), -2000000000);
  EXPECT_EQ(m.get_f32("t.f32"), 0.15625f);
  EXPECT_TRUE(m.get_bool("t.bool"));
  EXPECT_EQ(m.get_string("t.string"), "h\xc3\xa9llo \"gguf\"");
  EXPECT_EQ(m.get_u64("t.u64"), 18000000000000000000ull);
  EXPECT_EQ(m.get<int64_t>("t.i64"), -9000000000000000000ll);
  EXPECT_EQ(m.get<double>("t.f64"), -2.5e-300);
  EXPECT_EQ(m.get_array<int32_t>("t.arr_i32"), (std::vector<int32_t>{1, -2, 3}));
  EXPECT_EQ(m.get_array<std::string>("t.arr_str"), (std::vector<std::string>{"a", "", "xyz"}));
  EXPECT_EQ(m.get_array<float>("t.arr_f32"), (std::vector<float>{0.5f, -1.25f}));
  EXPECT_EQ(m.get_array<bool>("t.arr_bool"), (std::vector<bool>{true, false, true}));
  EXPECT_TRUE(m.get_array<uint8_t>("t.arr_empty").empty());
  const GgufArray& nested = m.get<GgufArray>("t.nested");
  ASSERT_EQ(nested.type, GgufType::Array);
  ASSERT_EQ(nested.arrays.size(), 3u);
  EXPECT_EQ(nested.arrays[0].as<uint16_t>(), (std::vector<uint16_t>{1, 2}));
  EXPECT_TRUE(nested.arrays[1].as<uint16_t>().empty());
  EXPECT_EQ(nested.arrays[2].as<uint16_t>(), (std::vector<uint16_t>{65535}));
}

TEST(GgufGolden, ReadsTensorInfosAndData) {
  const GgufFile f = GgufFile::open(kGolden);
  ASSERT_EQ(f.tensors().size(), 4u);
  EXPECT_EQ(f.data_offset() % 16, 0u);

  const GgufTensorInfo& w = f.tensor("w");
  EXPECT_EQ(w.n_dims, 2);
  EXPECT_EQ(w.ne[0], 5);
  EXPECT_EQ(w.ne[1], 3);
  EXPECT_EQ(w.shape(), (Shape{3, 5}));
  EXPECT_EQ(w.type_name(), "f32");
  EXPECT_EQ(w.offset, 0u);
  EXPECT_EQ(w.nbytes, 60u);
  EXPECT_EQ(values_of<float>(f.data(w)), w_values());
  const TensorView wv = f.view(w);
  EXPECT_EQ(wv.dtype, DType::F32);
  EXPECT_EQ(wv.row<const float>(2)[4], 2.5f);

  const GgufTensorInfo& e = f.tensor("e");
  EXPECT_EQ(e.offset, 64u);  // 60 padded to 16
  EXPECT_EQ(e.type_name(), "f16");
  EXPECT_EQ(values_of<uint16_t>(f.data(e)), e_values());
  EXPECT_EQ(fp16_to_f32(values_of<uint16_t>(f.data(e))[1]), -2.5f);

  const GgufTensorInfo& v = f.tensor("v");
  EXPECT_EQ(v.offset, 80u);
  EXPECT_EQ(v.shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(values_of<float>(f.data(v)), v_values());

  const GgufTensorInfo& q = f.tensor("q");
  EXPECT_EQ(q.offset, 176u);
  EXPECT_EQ(q.type_name(), "q8_0");
  EXPECT_EQ(q.nbytes, 68u);
  EXPECT_EQ(values_of<uint8_t>(f.data(q)), q_values());
  EXPECT_EQ(f.data_offset() + 176 + 80, f.file_size());  // 68 padded to 80
}

namespace {
GgufWriter golden_content(const std::vector<float>& w, const std::vector<uint16_t>& e, const std::vector<float>& v,
                          const std::vector<uint8_t>& q) {
  GgufWriter g;
  GgufMetadata& m = g.metadata();
  m.add("general.architecture", "tiny");
  m.add("general.alignment", uint32_t(16));
  m.add("t.u8", uint8_t(200));
  m.add("t.i8", int8_t(-100));
  m.add("t.u16", uint16_t(60000));
  m.add("t.i16", int16_t(-30000));
  m.add("t.u32", uint32_t(4000000000u));
  m.add("t.i32", int32_t(-2000000000));
  m.add("t.f32", 0.15625f);
  m.add("t.bool", true);
  m.add("t.string", "h\xc3\xa9llo \"gguf\"");
  m.add("t.u64", uint64_t(18000000000000000000ull));
  m.add("t.i64", int64_t(-9000000000000000000ll));
  m.add("t.f64", -2.5e-300);
  m.add("t.arr_i32", GgufArray::of(std::vector<int32_t>{1, -2, 3}));
  m.add("t.arr_str", GgufArray::of(std::vector<std::string>{"a", "", "xyz"}));
  m.add("t.arr_f32", GgufArray::of(std::vector<float>{0.5f, -1.25f}));
  m.add("t.arr_bool", GgufArray::of(std::vector<bool>{true, false, true}));
  m.add("t.arr_empty", GgufArray::of(std::vector<uint8_t>{}));
  m.add("t.nested", GgufArray::of_arrays({GgufArray::of(std::vector<uint16_t>{1, 2}),
                                          GgufArray::of(std::vector<uint16_t>{}),
                                          GgufArray::of(std::vector<uint16_t>{65535})}));
  g.add_tensor("w", format_traits(Format::F32), Shape{3, 5}, bytes_of(w));
  g.add_tensor("e", format_traits(Format::F16), Shape{4}, bytes_of(e));
  g.add_tensor("v", format_traits(Format::F32), Shape{2, 3, 4}, bytes_of(v));
  g.add_tensor("q", format_traits(Format::Q8_0), Shape{2, 32}, [&](std::span<std::byte> out) {
    std::memcpy(out.data(), q.data(), q.size());
  });
  return g;
}
}  // namespace

TEST(GgufGolden, WriterMatchesThePythonWriterByteForByte) {
  const auto w = w_values(), v = v_values();
  const auto e = e_values();
  const auto q = q_values();
  const GgufWriter g = golden_content(w, e, v, q);
  const std::string golden = read_file(kGolden);
  const std::string ours = g.serialize();
  ASSERT_EQ(ours.size(), golden.size());
  EXPECT_TRUE(ours == golden) << "first difference at byte "
                              << std::distance(ours.begin(),
                                               std::mismatch(ours.begin(), ours.end(), golden.begin()).first);

  const std::string path = ::testing::TempDir() + "/lowbit_gguf_writer_test_" + std::to_string(::getpid()) + ".gguf";
  g.write(path);
  EXPECT_TRUE(read_file(path) == golden);
  const GgufFile back = GgufFile::open(path);
  EXPECT_EQ(values_of<float>(back.data(back.tensor("v"))), v);
  std::remove(path.c_str());
}
