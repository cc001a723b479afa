#include "model/matrix.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "nn/float_linear.hpp"

namespace lowbit {

namespace {

void check_convertible(const TensorRef& t) {
  LOWBIT_CHECK(t.format && t.format->to_float, "tensor '{}': format {} cannot be converted to float", t.name,
               t.format ? t.format->name : "(unknown)");
  LOWBIT_CHECK(t.cols % t.format->block_elems == 0, "tensor '{}': row length {} is not a multiple of the {} block {}",
               t.name, t.cols, t.format->name, t.format->block_elems);
}

Tensor to_f32(const TensorRef& t) {
  check_convertible(t);
  Tensor out = Tensor::f32({t.rows, t.cols});
  t.format->to_float(t.data, out.data<float>(), t.numel());
  return out;
}

// y = x W^T over f32 weights, parallel over output rows.
void matmul_f32_rows(const float* w, int64_t rows, int64_t cols, const float* x, int64_t T, float* y) {
  ThreadPool::global().parallel_for(rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * cols;
      for (int64_t r = r0; r < r1; ++r) {
        const float* wr = w + r * cols;
        float acc = 0;
        for (int64_t i = 0; i < cols; ++i) acc += wr[i] * xt[i];
        y[t * rows + r] = acc;
      }
    }
  });
}

class F32Matrix final : public Matrix {
 public:
  F32Matrix(const TensorRef& t) : Matrix(t.rows, t.cols), w_(to_f32(t)) {}
  void matmul(const float* x, int64_t T, float* y) const override {
    matmul_f32_rows(w_.data<float>(), rows_, cols_, x, T, y);
  }
  size_t bytes() const override { return w_.nbytes(); }
  std::string describe() const override { return "f32"; }

 private:
  Tensor w_;
};

class StreamedMatrix final : public Matrix {
 public:
  StreamedMatrix(const TensorRef& t) : Matrix(t.rows, t.cols), t_(t) {
    check_convertible(t);
    LOWBIT_CHECK(t.format->tensor_trailer_bytes == 0, "tensor '{}': {} rows cannot be streamed", t.name,
                 t.format->name);
    row_bytes_ = t.cols / t.format->block_elems * t.format->block_bytes;
  }
  void matmul(const float* x, int64_t T, float* y) const override {
    ThreadPool::global().parallel_for(rows_, 64, [&](int64_t r0, int64_t r1) {
      std::vector<float> row(static_cast<size_t>(cols_));
      for (int64_t r = r0; r < r1; ++r) {
        t_.format->to_float(static_cast<const uint8_t*>(t_.data) + r * row_bytes_, row.data(), cols_);
        for (int64_t t = 0; t < T; ++t) {
          const float* xt = x + t * cols_;
          float acc = 0;
          for (int64_t i = 0; i < cols_; ++i) acc += row[size_t(i)] * xt[i];
          y[t * rows_ + r] = acc;
        }
      }
    });
  }
  size_t bytes() const override { return size_t(row_bytes_ * rows_); }
  std::string describe() const override { return std::string(t_.format->name) + " (streamed)"; }

 private:
  TensorRef t_;
  int64_t row_bytes_ = 0;
};

// Reference W1.58 x A8: int8 ternary values with one scale per 256-weight
// block of a row (TQ1_0/TQ2_0 carry per-block scales; I2_S one per tensor,
// which is the special case of equal block scales).
class TernaryMatrix final : public Matrix {
 public:
  TernaryMatrix(const TensorRef& t) : Matrix(t.rows, t.cols), format_(t.format->name) {
    Tensor f = to_f32(t);
    block_ = cols_ % 256 == 0 ? 256 : cols_;
    nblocks_ = cols_ / block_;
    q_.resize(size_t(rows_ * cols_));
    scale_.resize(size_t(rows_ * nblocks_));
    const float* v = f.data<float>();
    for (int64_t b = 0; b < rows_ * nblocks_; ++b) {
      float s = 0;
      for (int64_t i = 0; i < block_; ++i) s = std::max(s, std::fabs(v[b * block_ + i]));
      scale_[size_t(b)] = s;
      for (int64_t i = 0; i < block_; ++i) {
        const float w = v[b * block_ + i];
        // Float files (e.g. llama.cpp's f16 bitnet GGUFs) hold ternary
        // values times a scale; anything else would be silently changed.
        LOWBIT_CHECK(w == 0 || std::fabs(w) == s, "tensor '{}': element {} = {} is not ternary (0 or +-{})", t.name,
                     b * block_ + i, w, s);
        q_[size_t(b * block_ + i)] = w == 0 ? 0 : (w > 0 ? 1 : -1);
      }
    }
  }

  void matmul(const float* x, int64_t T, float* y) const override {
    std::vector<int8_t> xq(static_cast<size_t>(T * cols_));
    std::vector<float> gamma(static_cast<size_t>(T));
    for (int64_t t = 0; t < T; ++t) {
      const float* xt = x + t * cols_;
      float g = 0;
      for (int64_t i = 0; i < cols_; ++i) g = std::max(g, std::fabs(xt[i]));
      gamma[size_t(t)] = g;
      const float s = g > 0 ? 127.0f / g : 0.0f;
      for (int64_t i = 0; i < cols_; ++i)
        xq[size_t(t * cols_ + i)] = int8_t(std::clamp(std::round(xt[i] * s), -128.0f, 127.0f));
    }
    ThreadPool::global().parallel_for(rows_, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t t = 0; t < T; ++t) {
        const int8_t* xt = xq.data() + t * cols_;
        for (int64_t r = r0; r < r1; ++r) {
          float acc = 0;
          for (int64_t b = 0; b < nblocks_; ++b) {
            const int8_t* wq = q_.data() + r * cols_ + b * block_;
            int32_t a = 0;
            for (int64_t i = 0; i < block_; ++i) a += int32_t(wq[i]) * xt[b * block_ + i];
            acc += float(a) * scale_[size_t(r * nblocks_ + b)];
          }
          y[t * rows_ + r] = acc * gamma[size_t(t)] / 127.0f;
        }
      }
    });
  }
  size_t bytes() const override { return size_t(rows_ * cols_ / 4 + rows_ * nblocks_ * 2); }
  std::string describe() const override { return "ternary " + std::string(format_) + " (scalar reference)"; }

 private:
  std::string_view format_;
  int64_t block_ = 0, nblocks_ = 0;
  std::vector<int8_t> q_;
  std::vector<float> scale_;
};

class LayerMatrix final : public Matrix {
 public:
  LayerMatrix(std::unique_ptr<LinearLayer> l) : Matrix(l->out_features(), l->in_features()), l_(std::move(l)) {}
  void matmul(const float* x, int64_t T, float* y) const override { l_->forward(x, T, y); }
  size_t bytes() const override { return l_->weight_bytes(); }
  std::string describe() const override { return std::string(linear_type_name(l_->type())); }

 private:
  std::unique_ptr<LinearLayer> l_;
};

}  // namespace

bool is_ternary_format(const FormatTraits& f) {
  return f.format == Format::TQ1_0 || f.format == Format::TQ2_0 || f.format == Format::I2_S;
}

std::unique_ptr<Matrix> make_f32_matrix(const TensorRef& t) { return std::make_unique<F32Matrix>(t); }
std::unique_ptr<Matrix> make_streamed_matrix(const TensorRef& t) { return std::make_unique<StreamedMatrix>(t); }
std::unique_ptr<Matrix> make_ternary_matrix(const TensorRef& t) { return std::make_unique<TernaryMatrix>(t); }
std::unique_ptr<Matrix> make_layer_matrix(const TensorRef& t, LinearType type, const LinearOptions& opt) {
  return std::make_unique<LayerMatrix>(make_linear(type, to_f32(t), opt));
}

}  // namespace lowbit
