#include "io/npy.hpp"

#include <cctype>
#include <cstring>

#include "io/file_util.hpp"

namespace lowbit {

namespace {

// A minimal reader for the Python dict literal NumPy writes as the header:
// {'descr': '<f4', 'fortran_order': False, 'shape': (16, 512), }
class HeaderParser {
 public:
  HeaderParser(std::string_view s, const std::string& name) : s_(s), name_(name) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') break;
      const std::string key = string_lit();
      expect(':');
      skip_ws();
      if (key == "descr") {
        descr = string_lit();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = bool_lit();
        have_fortran = true;
      } else if (key == "shape") {
        shape = tuple_lit();
        have_shape = true;
      } else {
        fail("{}: npy header has unknown key '{}'", name_, key);
      }
      skip_ws();
      if (peek() == ',') ++pos_;
    }
    LOWBIT_CHECK(have_descr && have_fortran && have_shape,
                 "{}: npy header lacks one of 'descr', 'fortran_order', 'shape'", name_);
  }

 private:
  char peek() {
    LOWBIT_CHECK(pos_ < s_.size(), "{}: npy header ends early (at byte {} of the header)", name_, pos_);
    return s_[pos_];
  }
  void skip_ws() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_ws();
    LOWBIT_CHECK(peek() == c, "{}: npy header: expected '{}' at byte {} of the header", name_, c, pos_);
    ++pos_;
  }
  std::string string_lit() {
    skip_ws();
    const char q = peek();
    LOWBIT_CHECK(q == '\'' || q == '"', "{}: npy header: expected a string at byte {} of the header", name_, pos_);
    ++pos_;
    std::string out;
    while (peek() != q) out += s_[pos_++];
    ++pos_;
    return out;
  }
  bool bool_lit() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail("{}: npy header: expected True or False at byte {} of the header", name_, pos_);
  }
  std::vector<int64_t> tuple_lit() {
    std::vector<int64_t> dims;
    expect('(');
    for (;;) {
      skip_ws();
      if (peek() == ')') {
        ++pos_;
        break;
      }
      LOWBIT_CHECK(std::isdigit(static_cast<unsigned char>(peek())),
                   "{}: npy header: bad shape entry at byte {} of the header", name_, pos_);
      int64_t v = 0;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
        LOWBIT_CHECK(v < (int64_t(1) << 40), "{}: npy header: dimension too large", name_);
        v = v * 10 + (s_[pos_++] - '0');
      }
      dims.push_back(v);
      skip_ws();
      if (peek() == ',') {
        ++pos_;
      } else {
        LOWBIT_CHECK(peek() == ')', "{}: npy header: expected ',' or ')' in the shape at byte {} of the header", name_,
                     pos_);
      }
    }
    return dims;
  }

  std::string_view s_;
  const std::string& name_;
  size_t pos_ = 0;
};

uint32_t read_le(std::string_view b, size_t off, size_t n) {
  uint32_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint32_t(static_cast<unsigned char>(b[off + i])) << (8 * i);
  return v;
}

}  // namespace

Tensor npy_parse(std::string_view bytes, const std::string& name) {
  static constexpr char kMagic[] = "\x93NUMPY";
  LOWBIT_CHECK(bytes.size() >= 10 && std::memcmp(bytes.data(), kMagic, 6) == 0,
               "{}: not a .npy file (bad magic at offset 0)", name);
  const int major = static_cast<unsigned char>(bytes[6]);
  LOWBIT_CHECK(major >= 1 && major <= 3, "{}: unsupported .npy version {}.{} (offset 6)", name, major,
               int(static_cast<unsigned char>(bytes[7])));
  const size_t len_size = major == 1 ? 2 : 4;
  LOWBIT_CHECK(bytes.size() >= 8 + len_size, "{}: truncated .npy header", name);
  const size_t header_len = read_le(bytes, 8, len_size);
  const size_t header_start = 8 + len_size;
  LOWBIT_CHECK(header_len <= kNpyMaxHeader, "{}: .npy header length {} at offset 8 exceeds the limit of {} bytes",
               name, header_len, kNpyMaxHeader);
  LOWBIT_CHECK(bytes.size() >= header_start + header_len,
               "{}: truncated .npy header: needs {} bytes, file has {}", name, header_start + header_len,
               bytes.size());

  std::string descr;
  bool fortran = false;
  std::vector<int64_t> dims;
  HeaderParser(bytes.substr(header_start, header_len), name).parse(descr, fortran, dims);

  LOWBIT_CHECK(descr == "<f4", "{}: dtype '{}' is not supported; lowbit reads float32 little-endian ('<f4') .npy files",
               name, descr);
  LOWBIT_CHECK(!fortran, "{}: Fortran-order arrays are not supported; save with np.ascontiguousarray", name);
  LOWBIT_CHECK(dims.size() <= size_t(kMaxDims), "{}: {} dimensions; at most {} are supported", name, dims.size(),
               kMaxDims);

  Shape shape(dims);
  const size_t data_off = header_start + header_len;
  const size_t want = size_t(shape.numel()) * 4;
  LOWBIT_CHECK(bytes.size() - data_off == want,
               "{}: data size mismatch: shape {} needs {} bytes after offset {}, file has {}", name, shape.str(),
               want, data_off, bytes.size() - data_off);
  Tensor t(DType::F32, shape);
  if (want) std::memcpy(t.data<float>(), bytes.data() + data_off, want);  // host is little-endian
  return t;
}

Tensor npy_load(const std::string& path) { return npy_parse(read_file(path), path); }

std::string npy_serialize(const Tensor& t) {
  LOWBIT_CHECK(t.dtype() == DType::F32, "npy: only f32 tensors can be written (got {})", dtype_name(t.dtype()));
  // Python tuple syntax: (), (a,), (a, b)
  std::string shape;
  for (int i = 0; i < t.shape().rank; ++i) shape += (i ? ", " : "") + std::to_string(t.shape()[i]);
  if (t.shape().rank == 1) shape += ',';
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + shape + "), }";
  // Pad with spaces so that the data starts at a multiple of 64, then '\n'.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  out.append(reinterpret_cast<const char*>(t.data<float>()), t.nbytes());
  return out;
}

void npy_save(const std::string& path, const Tensor& t) { write_file_atomic(path, npy_serialize(t)); }

}  // namespace lowbit
