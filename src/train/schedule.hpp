// Learning-rate, weight-decay, blend and activation-bit schedules as pure
// functions of the step, so a resumed run recomputes them exactly.
//
// lr: linear warmup to `lr`; then, with two_stage (BitNet b1.58's recipe),
// cosine from lr to stage2_lr until stage2_at * steps, followed by the
// cooldown: linear from stage2_lr to min_lr, with weight decay 0. Without
// two_stage: cosine from lr to min_lr.
#pragma once

#include <cstdint>

#include "train/train_config.hpp"

namespace lowbit {

float schedule_lr(const TrainConfig& c, int64_t step);
float schedule_weight_decay(const TrainConfig& c, int64_t step);
float schedule_blend(const TrainConfig& c, int64_t step);
// The activation bits in force at `step` (0: no event yet, keep the spec's).
int schedule_act_bits(const TrainConfig& c, int64_t step);

}  // namespace lowbit
