// .npy parsing: byte images written by hand from the NumPy format spec, and
// every malformed case we promise to reject with a message naming the file.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "io/npy.hpp"

using namespace lowbit;

namespace {
// What `np.save(f, np.array([[1, 2, 3], [4, 5, 6]], dtype='<f4'))` writes.
std::string numpy_image(const std::string& dict, int n_floats, int version = 1) {
  std::string header = dict;
  const size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(version);
  out += char(0);
  const size_t n = header.size();
  out += char(n & 0xff);
  out += char((n >> 8) & 0xff);
  if (version != 1) out += std::string(2, '\0');
  out += header;
  for (int i = 0; i < n_floats; ++i) {
    const float v = float(i + 1);
    out.append(reinterpret_cast<const char*>(&v), 4);
  }
  return out;
}
const std::string kDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";

std::string error_of(const std::string& bytes) {
  try {
    npy_parse(bytes, "x.npy");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Npy, ParsesNumpyImage) {
  for (int version : {1, 2}) {
    Tensor t = npy_parse(numpy_image(kDict, 6, version), "x.npy");
    ASSERT_EQ(t.shape(), (Shape{2, 3}));
    for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data<float>()[i], float(i + 1));
  }
}

TEST(Npy, SerializeFollowsTheSpec) {
  Tensor t = Tensor::f32({2, 3});
  for (int i = 0; i < 6; ++i) t.data<float>()[i] = float(i + 1);
  // The format spec: header padded with spaces and '\n' to a multiple of 64.
  EXPECT_EQ(npy_serialize(t), numpy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 6));
  Tensor back = npy_parse(npy_serialize(t), "rt");
  EXPECT_EQ(back.shape(), t.shape());
  EXPECT_EQ(std::memcmp(back.data<float>(), t.data<float>(), 24), 0);
}

TEST(Npy, RejectsMalformed) {
  const std::string good = numpy_image(kDict, 6);
  EXPECT_NE(error_of("GARBAGE!!!!!").find("x.npy: not a .npy file"), std::string::npos);
  EXPECT_NE(error_of(numpy_image("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 12)).find("<f8"), std::string::npos);
  EXPECT_NE(error_of(numpy_image("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 6)).find("Fortran"), std::string::npos);
  EXPECT_NE(error_of(good.substr(0, good.size() - 3)).find("data size mismatch"), std::string::npos);
  EXPECT_NE(error_of(good.substr(0, 40)).find("truncated"), std::string::npos);
  EXPECT_NE(error_of(good + "xxxx").find("data size mismatch"), std::string::npos);
  std::string huge = good;
  huge[6] = 2; huge[8] = 0; huge[9] = 0; huge[10] = 0; huge[11] = 0x7f;  // v2 header length 2 GiB
  EXPECT_NE(error_of(huge).find("exceeds the limit"), std::string::npos);
  EXPECT_NE(error_of(numpy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", 6)).find("x.npy"), std::string::npos);
  EXPECT_NE(error_of(numpy_image("{'descr': '<f4'}", 6)).find("lacks"), std::string::npos);
  // Found by the fuzzer: dimensions without commas, and a product of
  // dimensions that overflows int64, are errors (not UB).
  EXPECT_NE(error_of(numpy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", 6))
                .find("expected ',' or ')'"),
            std::string::npos);
  EXPECT_NE(error_of(numpy_image("{'descr': '<f4', 'fortran_order': False, 'shape': (777777777770, 400000872, 0), }", 0))
                .find("2^48"),
            std::string::npos);
}
