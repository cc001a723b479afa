// TrainModel's TrainableModel hooks that are not its forward or backward:
// kept out of train_model.cpp so that file stays the decoder's graph alone.
#include "train/export_gguf.hpp"
#include "train/train_model.hpp"

namespace lowbit {

void TrainModel::set_act_bits(int bits) {
  for (int64_t l = 0; l < spec_.arch.n_layer; ++l)
    for (int p = 0; p < kProjCount; ++p) {
      ProjSpec s = spec_.proj[size_t(l)][size_t(p)];
      if (s.type == LinearType::HBitLinear && s.opt.act_bits != bits) s.opt.act_bits = bits;
      else if (s.type == LinearType::BitLinear && s.opt.bits != bits) s.opt.bits = bits;
      else continue;
      set_proj_spec(l, p, s);
    }
}

void TrainModel::export_gguf(const Tokenizer& tok, const std::string& type, const std::string& path) {
  lowbit::export_gguf(*this, tok, type, path);
}

}  // namespace lowbit
