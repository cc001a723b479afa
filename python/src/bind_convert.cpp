// lowbit.convert: a Hugging Face checkpoint directory (config.json,
// safetensors, tokenizer.json) to GGUF, as `lowbit convert` does it. The one
// place of the binding that calls the HF converter (model/hf_convert.hpp).
#include <string>

#include "bindings.hpp"
#include "core/error.hpp"
#include "formats/format.hpp"
#include "model/hf_convert.hpp"
#include "tokenizer/tokenizer.hpp"

namespace lowbit::py {

void bind_convert(pb::module_& m) {
  m.def(
      "convert",
      [](const std::string& dir, const std::string& out, const std::string& type) {
        ConvertOptions opt;
        if (!type.empty()) {
          opt.type = find_format(type);
          LOWBIT_CHECK(opt.type, "convert: type {}: expected tq2_0, tq1_0, i2_s, f16 or f32", type);
        }
        ConvertResult r;
        {
          pb::gil_scoped_release nogil;
          r = convert_hf(dir, out, opt);
        }
        pb::dict d;
        d["source"] = r.source ? std::string(r.source->hf_classes.front()) : std::string();
        d["arch"] = r.arch;
        d["type"] = r.type ? std::string(r.type->name) : std::string();
        d["ternary"] = r.ternary;
        return d;
      },
      pb::arg("hf_dir"), pb::arg("out"), pb::arg("type") = "",
      "Converts a Hugging Face checkpoint directory to GGUF (what `lowbit convert` does); returns "
      "{source, arch, type, ternary}");
  // The byte-level tokenizer as a tokenizer.json, for writing small
  // checkpoints in the HF layout (tests, examples).
  m.def("byte_tokenizer_hf_json", [] { return Tokenizer::byte_level().to_hf_json(); });
}

}  // namespace lowbit::py
