// A model gathers its projections' weight buffers into one mapping after
// loading (core/buffer_arena.hpp, issue 18). Every matrix kind that hands
// out its buffers (Matrix::weight_buffers) must compute the same outputs,
// bit for bit, from the moved weights as from its own.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/buffer_arena.hpp"
#include "core/half.hpp"
#include "core/rng.hpp"
#include "formats/format.hpp"
#include "model/matrix.hpp"

namespace lowbit {
namespace {

TensorRef tensor(const char* name, Format f, const void* data, int64_t rows, int64_t cols) {
  TensorRef t;
  t.name = name, t.format = &format_traits(f), t.data = data, t.rows = rows, t.cols = cols;
  return t;
}

TEST(MatrixGather, OutputsAreUnchangedWhenTheWeightsMoveIntoOneBuffer) {
  constexpr int64_t kRows = 68, kCols = 300, kT = 3;  // rows off the 16-row tiles, columns off 128
  Rng rng(7);
  std::vector<float> ternary(size_t(kRows * kCols)), dense(ternary.size());
  std::vector<uint16_t> half(ternary.size());
  for (size_t i = 0; i < ternary.size(); ++i) {
    ternary[i] = 0.05f * float(int(rng.below(3)) - 1);
    dense[i] = float(rng.uniform(-1, 1));
    half[i] = f32_to_fp16(dense[i]);
  }
  std::vector<std::unique_ptr<Matrix>> ms;
  ms.push_back(make_ternary_matrix(tensor("t", Format::F32, ternary.data(), kRows, kCols)));
  ms.push_back(make_int8_matrix(tensor("i", Format::F32, dense.data(), kRows, kCols), 6.0f));
  ms.push_back(make_float_matrix(tensor("h", Format::F16, half.data(), kRows, kCols)));
  std::vector<float> x(size_t(kT * kCols));
  for (float& v : x) v = float(rng.uniform(-2, 2));
  x[5] = 9.0f;  // an LLM.int8 outlier column
  std::vector<std::vector<float>> before;
  std::vector<AlignedBuffer*> bufs;
  for (auto& m : ms) {
    before.emplace_back(size_t(kT * kRows));
    m->matmul(x.data(), kT, before.back().data());
    const size_t n = bufs.size();
    m->weight_buffers(bufs);
    ASSERT_EQ(bufs.size(), n + 1) << m->describe() << " hands out no buffer";
  }
  gather_into_one_buffer(bufs);
  for (size_t i = 0; i < ms.size(); ++i) {
    EXPECT_TRUE(bufs[i]->is_part()) << ms[i]->describe();
    std::vector<float> after(size_t(kT * kRows));
    ms[i]->matmul(x.data(), kT, after.data());
    EXPECT_EQ(std::memcmp(after.data(), before[i].data(), after.size() * sizeof(float)), 0) << ms[i]->describe();
  }
}

}  // namespace
}  // namespace lowbit
