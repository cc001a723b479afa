#include "train/trainable_model.hpp"

#include "core/error.hpp"
#include "train/hgrn_train_model.hpp"
#include "train/train_config.hpp"
#include "train/train_model.hpp"

namespace lowbit {

std::unique_ptr<TrainableModel> make_trainable_model(const TrainConfig& c, Rng& rng) {
  if (c.arch.arch == "hgrn-bit") {
    HgrnTrainSpec s;
    s.arch = c.arch;
    s.proj_type = c.proj_default.type;
    return std::make_unique<HgrnTrainModel>(s, rng);
  }
  LOWBIT_CHECK(c.arch.arch == "bitnet-b1.58", "model.arch '{}': expected bitnet-b1.58 or hgrn-bit", c.arch.arch);
  return std::make_unique<TrainModel>(c.model_spec(), rng);
}

}  // namespace lowbit
