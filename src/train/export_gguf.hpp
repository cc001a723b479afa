// Exports a trained model as a GGUF that `lowbit generate` runs:
// architecture bitnet-b1.58, embedding f16, norms f32; b1.58 projections
// absmean-quantized (exactly as in the training forward) and packed as
// tq2_0 / tq1_0 / i2_s; every other projection type (float, BitLinear v1,
// H-BitLinear, and b1.58 when the export type is f16/f32) stored as its
// f32 shadow weight with lowbit.blk.<l>.<proj>.* keys naming the layer type
// and options, so the runtime builds the same layer.
#pragma once

#include <string>

#include "tokenizer/tokenizer.hpp"
#include "train/train_model.hpp"

namespace lowbit {

void export_gguf(TrainModel& model, const Tokenizer& tok, const std::string& type, const std::string& path);

}  // namespace lowbit
