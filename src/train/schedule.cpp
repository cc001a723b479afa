#include "train/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace lowbit {

namespace {
float cosine(float from, float to, double frac) {
  frac = std::clamp(frac, 0.0, 1.0);
  return to + (from - to) * float(0.5 * (1.0 + std::cos(M_PI * frac)));
}
int64_t stage2_step(const TrainConfig& c) { return int64_t(c.stage2_at * double(c.steps)); }
}  // namespace

float schedule_lr(const TrainConfig& c, int64_t step) {
  if (step < c.warmup) return c.lr * float(step + 1) / float(c.warmup);
  if (!c.two_stage) return cosine(c.lr, c.min_lr, double(step - c.warmup) / double(std::max<int64_t>(1, c.steps - c.warmup)));
  const int64_t s2 = stage2_step(c);
  if (step < s2) return cosine(c.lr, c.stage2_lr, double(step - c.warmup) / double(std::max<int64_t>(1, s2 - c.warmup)));
  const double frac = double(step - s2) / double(std::max<int64_t>(1, c.steps - s2));
  return c.stage2_lr + (c.min_lr - c.stage2_lr) * float(std::clamp(frac, 0.0, 1.0));
}

float schedule_weight_decay(const TrainConfig& c, int64_t step) {
  return c.two_stage && step >= stage2_step(c) ? 0.0f : c.weight_decay;
}

float schedule_blend(const TrainConfig& c, int64_t step) {
  if (c.blend_steps <= 0 || step >= c.blend_steps) return 1.0f;
  return c.blend_start + (1.0f - c.blend_start) * float(step) / float(c.blend_steps);
}

int schedule_act_bits(const TrainConfig& c, int64_t step) {
  int bits = 0;
  int64_t at = -1;
  for (const ActBitsEvent& e : c.act_bits_schedule)
    if (e.step <= step && e.step >= at) bits = e.act_bits, at = e.step;
  return bits;
}

}  // namespace lowbit
