#include "model/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"

namespace lowbit {

int Sampler::sample(std::span<const float> logits, std::span<const int> recent) {
  const int n = int(logits.size());
  LOWBIT_CHECK(n > 0, "sampler: empty logits");
  work_.assign(logits.begin(), logits.end());

  const bool penalize = p_.repeat_penalty != 1.0f || p_.frequency_penalty != 0.0f || p_.presence_penalty != 0.0f;
  if (penalize && p_.repeat_last_n != 0) {
    const size_t last = p_.repeat_last_n < 0 ? recent.size() : std::min(recent.size(), size_t(p_.repeat_last_n));
    // Each distinct token of the window once, with how often it occurred:
    // the repetition penalty ignores the count, the frequency penalty
    // scales with it.
    std::vector<int> seen(recent.end() - last, recent.end());
    std::sort(seen.begin(), seen.end());
    for (size_t i = 0; i < seen.size();) {
      size_t j = i;
      while (j < seen.size() && seen[j] == seen[i]) ++j;
      const int id = seen[i];
      const float count = float(j - i);
      i = j;
      if (id < 0 || id >= n) continue;
      float& l = work_[size_t(id)];
      l = l > 0 ? l / p_.repeat_penalty : l * p_.repeat_penalty;
      l -= count * p_.frequency_penalty + p_.presence_penalty;
    }
  }

  cands_.clear();
  if (p_.temperature <= 0.0f) {
    const int best = int(std::max_element(work_.begin(), work_.end()) - work_.begin());
    cands_.push_back({best, 1.0f});
    return best;
  }

  // Candidates sorted by logit, cut to top-k (partial sort keeps it fast on
  // a 128k vocabulary).
  std::vector<int> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  const int k = p_.top_k > 0 ? std::min(p_.top_k, n) : n;
  auto by_logit = [&](int a, int b) { return work_[size_t(a)] > work_[size_t(b)] || (work_[size_t(a)] == work_[size_t(b)] && a < b); };
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), by_logit);
  idx.resize(size_t(k));

  // Softmax with temperature, max-subtracted.
  const double mx = work_[size_t(idx[0])];
  double sum = 0;
  cands_.reserve(idx.size());
  for (int id : idx) {
    const double e = std::exp((work_[size_t(id)] - mx) / p_.temperature);
    cands_.push_back({id, float(e)});
    sum += e;
  }
  for (auto& c : cands_) c.p = float(c.p / sum);

  // top-p: smallest prefix whose mass reaches top_p (always >= 1 token).
  if (p_.top_p < 1.0f) {
    double cum = 0;
    size_t keep = cands_.size();
    for (size_t i = 0; i < cands_.size(); ++i) {
      cum += cands_[i].p;
      if (cum >= double(p_.top_p) - 1e-6) {  // tolerate rounding of the probabilities
        keep = i + 1;
        break;
      }
    }
    cands_.resize(keep);
  }
  // min-p: drop tokens below min_p times the most likely one.
  if (p_.min_p > 0.0f) {
    const float cut = p_.min_p * cands_[0].p;
    size_t keep = 1;
    while (keep < cands_.size() && cands_[keep].p >= cut) ++keep;
    cands_.resize(keep);
  }
  // Renormalize and draw.
  double total = 0;
  for (auto& c : cands_) total += c.p;
  for (auto& c : cands_) c.p = float(c.p / total);
  double r = rng_.uniform();
  for (const auto& c : cands_) {
    r -= c.p;
    if (r < 0) return c.id;
  }
  return cands_.back().id;  // rounding left a sliver
}

}  // namespace lowbit
