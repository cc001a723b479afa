#include "model/matrix.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/half.hpp"
#include "core/tensor.hpp"
#include "core/thread_pool.hpp"
#include "kernels/f16_matmul.hpp"
#include "kernels/qhead_matmul.hpp"
#include "kernels/ternary_matmul.hpp"
#include "nn/float_linear.hpp"
#include "quant/int8_decompose.hpp"

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

class F32Matrix final : public Matrix {
 public:
  F32Matrix(const TensorRef& t) : Matrix(t.rows, t.cols), w_(to_f32(t)) {
    t.release_all();
  }
  void matmul(const float* x, int64_t T, float* y) const override {
    matmul_xwt(x, w_.data<float>(), T, cols_, rows_, y);
  }
  size_t bytes() const override { return w_.nbytes(); }
  std::string describe() const override { return "f32"; }

 private:
  Tensor w_;
};

// f16 for the f16 kernel (the tied output head), copied out of the file
// mapping into lowbit's own memory: that may use huge pages, where the
// mapping's 4 KiB pages made the head's GEMV about 6% slower (TLB misses
// and prefetch streams cut at every page). The copy goes a slice at a time
// with each slice's source pages dropped, so it never holds the head twice.
void copy_out_of_mapping(const TensorRef& t, AlignedBuffer& w) {
  constexpr size_t kSlice = size_t(4) << 20;
  const auto* src = static_cast<const std::byte*>(t.data);
  for (size_t off = 0; off < w.size(); off += kSlice) {
    const size_t n = std::min(kSlice, w.size() - off);
    std::memcpy(w.data() + off, src + off, n);
    if (t.release) t.release(off, n);
  }
}

class F16Matrix final : public Matrix {
 public:
  F16Matrix(const TensorRef& t) : Matrix(t.rows, t.cols), w_(size_t(t.numel()) * 2) { copy_out_of_mapping(t, w_); }
  void matmul(const float* x, int64_t T, float* y) const override {
    f16_matmul(w_.as<uint16_t>(), rows_, cols_, x, T, y);
  }
  size_t bytes() const override { return w_.size(); }
  std::string describe() const override { return "f16"; }
  void weight_buffers(std::vector<AlignedBuffer*>& out) override { out.push_back(&w_); }
  bool read_row(int64_t r, float* out) const override {
    const uint16_t* row = w_.as<uint16_t>() + r * cols_;
    for (int64_t i = 0; i < cols_; ++i) out[i] = fp16_to_f32(row[i]);
    return true;
  }

 private:
  AlignedBuffer w_;
};

// A head in one of ggml's integer formats (Q8_0, Q6_K, Q4_0) on the q-head
// kernels (kernels/qhead_matmul.hpp): copied out of the mapping as the f16
// head, or quantized row by row from a float tensor (--head-type).
class QHeadMatrix final : public Matrix {
 public:
  QHeadMatrix(const TensorRef& t) : Matrix(t.rows, t.cols), f_(*t.format) {
    check_convertible(t);
    w_ = AlignedBuffer(size_t(format_bytes(f_, t.numel())));
    copy_out_of_mapping(t, w_);
  }
  QHeadMatrix(const TensorRef& t, const FormatTraits& f) : Matrix(t.rows, t.cols), f_(f) {
    check_convertible(t);
    LOWBIT_CHECK(f.from_float && t.cols % f.block_elems == 0, "tensor '{}': cannot quantize its rows of {} to {}",
                 t.name, t.cols, f.name);
    const int64_t row_bytes = format_bytes(f, t.cols), src_row = format_bytes(*t.format, t.cols);
    w_ = AlignedBuffer(size_t(row_bytes * t.rows));
    ThreadPool::global().parallel_for(t.rows, 256, [&](int64_t r0, int64_t r1) {
      std::vector<float> row(size_t(t.cols));
      for (int64_t r = r0; r < r1; ++r) {
        t.format->to_float(static_cast<const uint8_t*>(t.data) + r * src_row, row.data(), t.cols);
        f.from_float(row.data(), w_.data() + r * row_bytes, t.cols);
      }
    });
  }
  void matmul(const float* x, int64_t T, float* y) const override {
    qhead_matmul(f_.format, w_.as<uint8_t>(), rows_, cols_, x, T, y);
  }
  size_t bytes() const override { return w_.size(); }
  std::string describe() const override { return std::string(f_.name); }
  bool read_row(int64_t r, float* out) const override {
    f_.to_float(w_.as<uint8_t>() + r * format_bytes(f_, cols_), out, cols_);
    return true;
  }

 private:
  const FormatTraits& f_;
  AlignedBuffer w_;
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
  bool read_row(int64_t r, float* out) const override {
    t_.format->to_float(static_cast<const uint8_t*>(t_.data) + r * row_bytes_, out, cols_);
    return true;
  }

 private:
  TensorRef t_;
  int64_t row_bytes_ = 0;
};

// W1.58 x A8 on the packed kernels (kernels/ternary_matmul.hpp), repacked
// once here from the file's layout into lowbit's run-time layout.
class TernaryMatrix final : public Matrix {
 public:
  TernaryMatrix(PackedTernary w, std::string_view source) : Matrix(w.out, w.in), source_(source), w_(std::move(w)) {}
  TernaryMatrix(const TensorRef& t) : Matrix(t.rows, t.cols), source_(t.format->name) {
    w_ = t.format->ternary ? pack_ternary_format(*t.format, t.data, t.rows, t.cols) : pack_float(t);
    t.release_all();
  }
  void matmul(const float* x, int64_t T, float* y) const override { ternary_matmul(w_, x, T, y); }
  size_t bytes() const override { return size_t(w_.code_bytes()) + w_.row_scale.size() * sizeof(float); }
  std::string describe() const override { return fmt::format("ternary (from {})", source_); }
  const PackedTernary* packed_ternary() const override { return &w_; }
  void weight_buffers(std::vector<AlignedBuffer*>& out) override { out.push_back(&w_.codes); }
  std::string_view source() const { return source_; }

 private:
  // Float files (e.g. llama.cpp's f16 bitnet GGUFs) hold ternary values
  // times a per-row scale; anything else would be silently changed.
  static PackedTernary pack_float(const TensorRef& t) {
    Tensor f = to_f32(t);
    const float* v = f.data<float>();
    std::vector<int8_t> q(static_cast<size_t>(t.numel()));
    std::vector<float> scale(static_cast<size_t>(t.rows));
    for (int64_t r = 0; r < t.rows; ++r) {
      float s = 0;
      for (int64_t i = 0; i < t.cols; ++i) s = std::max(s, std::fabs(v[r * t.cols + i]));
      scale[size_t(r)] = s;
      for (int64_t i = 0; i < t.cols; ++i) {
        const float w = v[r * t.cols + i];
        LOWBIT_CHECK(w == 0 || std::fabs(w) == s, "tensor '{}': element {} = {} is not ternary (0 or +-{})", t.name,
                     r * t.cols + i, w, s);
        q[size_t(r * t.cols + i)] = w == 0 ? 0 : (w > 0 ? 1 : -1);
      }
    }
    return pack_ternary_rows(q.data(), t.rows, t.cols, scale.data());
  }

  std::string_view source_;
  PackedTernary w_;
};

// LLM.int8 from the file, a row at a time (quant/int8_decompose.hpp does the
// mixed-precision product from the int8 weights alone).
// LLM.int8 from the file, a row at a time (quant/int8_decompose.hpp does the
// mixed-precision product from the int8 weights alone). The int8 rows live
// in an AlignedBuffer: large ones get huge pages, which the heap's would not
// (transparent huge pages are often "madvise" only), and decode streams them.
class Int8Matrix final : public Matrix {
 public:
  // Rows filled by set_rows (fused matrices).
  Int8Matrix(int64_t rows, int64_t cols, float threshold) : Matrix(rows, cols), threshold_(threshold) { allocate(); }
  void set_rows(int64_t r0, int64_t n, const int8_t* cb, const float* scb) {
    std::copy(cb, cb + n * cols_, this->cb() + r0 * cols_);
    std::copy(scb, scb + n, scb_.begin() + r0);
  }
  Int8Matrix(const TensorRef& t, float threshold) : Matrix(t.rows, t.cols), threshold_(threshold) {
    check_convertible(t);
    LOWBIT_CHECK(threshold >= 0, "int8: the outlier threshold must be >= 0 (0 disables it), got {}", threshold);
    LOWBIT_CHECK(t.format->tensor_trailer_bytes == 0, "tensor '{}': {} cannot be read row by row", t.name,
                 t.format->name);
    allocate();
    const int64_t row_bytes = t.cols / t.format->block_elems * t.format->block_bytes;
    ThreadPool::global().parallel_for(t.rows, 64, [&](int64_t r0, int64_t r1) {
      std::vector<float> row(static_cast<size_t>(t.cols));
      for (int64_t r = r0; r < r1; ++r) {
        t.format->to_float(static_cast<const uint8_t*>(t.data) + r * row_bytes, row.data(), t.cols);
        const Int8RowWeights q = quantize_int8_rows(row.data(), 1, t.cols);
        std::copy(q.cb.begin(), q.cb.end(), cb() + r * t.cols);
        scb_[size_t(r)] = q.scb[0];
      }
    });
    t.release_all();
  }
  void matmul(const float* x, int64_t T, float* y) const override {
    int8_mixed_matmul(x, T, cb(), scb_.data(), rows_, cols_, threshold_, y);
  }
  size_t bytes() const override { return cb_.size() + scb_.size() * sizeof(float); }
  std::string describe() const override { return fmt::format("int8 (LLM.int8, threshold {})", threshold_); }
  void weight_buffers(std::vector<AlignedBuffer*>& out) override { out.push_back(&cb_); }
  bool int8_rows(float* threshold, const int8_t** cb, const float** scb) const override {
    *threshold = threshold_, *cb = this->cb(), *scb = scb_.data();
    return true;
  }

 private:
  void allocate() {
    cb_ = AlignedBuffer(size_t(rows_ * cols_));
    scb_.resize(size_t(rows_));
  }
  int8_t* cb() { return reinterpret_cast<int8_t*>(cb_.data()); }
  const int8_t* cb() const { return reinterpret_cast<const int8_t*>(cb_.data()); }

  float threshold_;
  AlignedBuffer cb_;
  std::vector<float> scb_;
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

std::unique_ptr<Matrix> fuse_ternary_rows(const std::vector<const Matrix*>& parts) {
  std::vector<const PackedTernary*> packed;
  for (size_t i = 0; i < parts.size(); ++i) {
    const PackedTernary* p = parts[i]->packed_ternary();
    if (!p || p->in != parts[0]->cols() || p->layout != TernaryLayout::kTiled4) return nullptr;
    if (i + 1 < parts.size() && p->out % 4 != 0) return nullptr;
    packed.push_back(p);
  }
  if (packed.empty()) return nullptr;
  return std::make_unique<TernaryMatrix>(concat_rows(packed),
                                         static_cast<const TernaryMatrix*>(parts[0])->source());
}

std::unique_ptr<Matrix> fuse_int8_rows(const std::vector<const Matrix*>& parts) {
  if (parts.empty()) return nullptr;
  float threshold = 0;
  int64_t rows = 0;
  for (const Matrix* m : parts) {
    float th = 0;
    const int8_t* cb = nullptr;
    const float* scb = nullptr;
    if (!m->int8_rows(&th, &cb, &scb) || m->cols() != parts[0]->cols() || (m != parts[0] && th != threshold))
      return nullptr;
    threshold = th;
    rows += m->rows();
  }
  auto fused = std::make_unique<Int8Matrix>(rows, parts[0]->cols(), threshold);
  int64_t r0 = 0;
  for (const Matrix* m : parts) {
    float th = 0;
    const int8_t* cb = nullptr;
    const float* scb = nullptr;
    m->int8_rows(&th, &cb, &scb);
    fused->set_rows(r0, m->rows(), cb, scb);
    r0 += m->rows();
  }
  return fused;
}

std::unique_ptr<Matrix> fuse_rows(const std::vector<const Matrix*>& parts) {
  if (auto m = fuse_ternary_rows(parts)) return m;
  return fuse_int8_rows(parts);
}

bool is_ternary_format(const FormatTraits& f) { return f.ternary; }

std::unique_ptr<Matrix> make_f32_matrix(const TensorRef& t) { return std::make_unique<F32Matrix>(t); }
std::unique_ptr<Matrix> make_float_matrix(const TensorRef& t) {
  if (t.format && t.format->format == Format::F16) return std::make_unique<F16Matrix>(t);
  return std::make_unique<F32Matrix>(t);
}
std::unique_ptr<Matrix> make_int8_matrix(const TensorRef& t, float threshold) {
  return std::make_unique<Int8Matrix>(t, threshold);
}
std::unique_ptr<Matrix> make_streamed_matrix(const TensorRef& t) {
  if (t.format && t.format->format == Format::F16) return std::make_unique<F16Matrix>(t);
  if (t.format && qhead_format(t.format->format)) return std::make_unique<QHeadMatrix>(t);
  return std::make_unique<StreamedMatrix>(t);
}
std::unique_ptr<Matrix> make_head_matrix(const TensorRef& t, const FormatTraits& f) {
  if (t.format && t.format->format == f.format) return make_streamed_matrix(t);
  if (f.format == Format::F16) {  // a quantized head can not go back to f16
    LOWBIT_CHECK(t.format && (t.format->format == Format::F32 || t.format->format == Format::BF16),
                 "tensor '{}' is {}: --head-type f16 needs a float head", t.name, t.format ? t.format->name : "?");
    Tensor w = to_f32(t);
    TensorRef h = t;
    std::vector<uint16_t> f16(size_t(t.numel()));
    format_traits(Format::F16).from_float(w.data<float>(), f16.data(), t.numel());
    h.format = &format_traits(Format::F16), h.data = f16.data(), h.release = nullptr;
    return std::make_unique<F16Matrix>(h);
  }
  LOWBIT_CHECK(qhead_format(f.format), "--head-type {}: expected one of f16, {}", f.name, "q8_0, q6_k, q4_0");
  return std::make_unique<QHeadMatrix>(t, f);
}
std::unique_ptr<Matrix> make_ternary_matrix(const TensorRef& t) { return std::make_unique<TernaryMatrix>(t); }
std::unique_ptr<Matrix> make_layer_matrix(const TensorRef& t, LinearType type, const LinearOptions& opt) {
  auto m = std::make_unique<LayerMatrix>(make_linear(type, to_f32(t), opt));
  t.release_all();
  return m;
}

}  // namespace lowbit
