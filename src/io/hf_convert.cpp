#include "io/hf_convert.hpp"

#include <cstring>

#include "core/half.hpp"
#include "io/gguf_file.hpp"
#include "io/gguf_writer.hpp"

namespace lowbit {

namespace {

float float_at(const SafetensorsTensor& t, const std::byte* p, int64_t i) {
  const std::string_view d = t.dtype->name;
  if (d == "F32") {
    float x;
    std::memcpy(&x, p + 4 * i, 4);
    return x;
  }
  uint16_t h;
  std::memcpy(&h, p + 2 * i, 2);
  return d == "BF16" ? bf16_to_f32(h) : fp16_to_f32(h);
}

void write_floats(const FormatTraits& f, std::span<const float> v, std::span<std::byte> out) {
  if (f.format == Format::F32) {
    std::memcpy(out.data(), v.data(), v.size() * 4);
    return;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    const uint16_t h = f32_to_fp16(v[i]);
    std::memcpy(out.data() + 2 * i, &h, 2);
  }
}

Shape shape_of(const SafetensorsTensor& t) { return Shape(std::span<const int64_t>(t.shape)); }

}  // namespace

void hf_convert_bitnet(const std::string& dir, const std::string& out_path, const HfConvertOptions& opt) {
  const HfBitnetConfig cfg = load_hf_bitnet_config(dir + "/config.json");
  const SafetensorsFile st = SafetensorsFile::open(dir + "/model.safetensors");
  const FormatTraits& f32 = format_traits(Format::F32);
  const FormatTraits& f16 = format_traits(Format::F16);
  const FormatTraits& tern = *opt.ternary_format;
  const bool tern_is_float = tern.format == Format::F32 || tern.format == Format::F16;
  LOWBIT_CHECK(tern_is_float || opt.pack_ternary, "convert: output type {} needs a ternary packer", tern.name);

  GgufWriter w;
  add_bitnet_gguf_hparams(w.metadata(), cfg, opt.arch);
  w.metadata().set("general.name", std::string("bitnet-b1.58"));
  w.metadata().set("general.alignment", uint32_t(kGgufDefaultAlignment));

  size_t total = 0, done = 0;
  for (const SafetensorsTensor& t : st.tensors()) total += t.name.ends_with(".weight_scale") ? 0 : 1;
  auto tick = [&] {
    if (opt.progress) opt.progress(++done, total);
  };
  for (const SafetensorsTensor& t : st.tensors()) {
    if (t.name.ends_with(".weight_scale")) continue;  // folded into its projection
    const std::optional<std::string> name = hf_to_gguf_name(t.name);
    LOWBIT_CHECK(name, "{}: tensor '{}' has no GGUF name for a BitNet model", st.path(), t.name);
    if (hf_is_ternary_projection(t.name) && t.dtype->name == "U8") {
      const std::string prefix = t.name.substr(0, t.name.size() - 7);
      const Shape shape{t.shape.at(0) * 4, t.shape.at(1)};
      w.add_tensor(*name, tern, shape, [&st, &cfg, &opt, &tern, &tick, prefix](std::span<std::byte> out) {
        const HfTernaryWeight tw = hf_read_ternary(st, prefix, cfg);
        if (opt.pack_ternary) {
          opt.pack_ternary(tw, out);
        } else {
          std::vector<float> v(tw.values.size());
          for (size_t i = 0; i < v.size(); ++i) v[i] = float(tw.values[i]) * tw.scale;
          write_floats(tern, v, out);
        }
        tick();
      });
      continue;
    }
    LOWBIT_CHECK(t.dtype->name == "F32" || t.dtype->name == "F16" || t.dtype->name == "BF16",
                 "{}: tensor '{}' has dtype {}, expected a float type", st.path(), t.name, t.dtype->name);
    const bool is_norm = t.shape.size() == 1;  // norms (and other vectors) stay F32, as llama.cpp keeps them
    const FormatTraits& fmt = is_norm ? f32 : f16;
    w.add_tensor(*name, fmt, shape_of(t), [&st, &t, &fmt, &tick](std::span<std::byte> out) {
      const std::byte* p = st.data(t).data();
      std::vector<float> v(size_t(t.numel()));
      for (int64_t i = 0; i < t.numel(); ++i) v[size_t(i)] = float_at(t, p, i);
      write_floats(fmt, v, out);
      tick();
    });
  }
  if (opt.add_metadata) opt.add_metadata(w.metadata());
  w.write(out_path);
}

}  // namespace lowbit
