#include "model/hgrn_state.hpp"

#include <algorithm>
#include <iterator>

#include "core/error.hpp"

namespace lowbit {

HgrnState::HgrnState(int64_t n_layer, int64_t width, int64_t n_ctx)
    : width_(width), n_ctx_(n_ctx), h_(size_t(n_layer * width), 0.0f) {
  LOWBIT_CHECK(n_ctx > 0, "a sequence state needs a context of at least one token, not {}", n_ctx);
}

size_t HgrnState::bytes() const { return (h_.size() + snaps_.size() * h_.size()) * sizeof(float); }

int64_t HgrnState::reusable_prefix(int64_t n) const {
  if (n >= pos_) return pos_;
  auto it = snaps_.upper_bound(n);  // first snapshot after n
  return it == snaps_.begin() ? 0 : std::prev(it)->first;
}

void HgrnState::rewind(int64_t pos0) {
  if (pos0 == pos_) return;
  // Snapshots beyond pos0 belong to the continuation being dropped.
  snaps_.erase(snaps_.upper_bound(pos0), snaps_.end());
  if (pos0 == 0) {
    std::fill(h_.begin(), h_.end(), 0.0f);
  } else {
    const auto it = snaps_.find(pos0);
    LOWBIT_CHECK(it != snaps_.end(),
                 "the recurrent state holds {} tokens and has no snapshot at position {} (ask reusable_prefix first)",
                 pos_, pos0);
    h_ = it->second;
  }
  pos_ = pos0;
}

std::vector<HgrnState::Slot> HgrnState::snapshot_slots(int64_t T) {
  std::vector<int64_t> at;
  for (int64_t p = (pos_ / kHgrnSnapshotEvery + 1) * kHgrnSnapshotEvery; p <= pos_ + T; p += kHgrnSnapshotEvery)
    at.push_back(p);
  if (T > 1 && (at.empty() || at.back() != pos_ + T)) at.push_back(pos_ + T);
  std::vector<Slot> slots;
  for (int64_t p : at) {
    std::vector<float>& s = snaps_[p];
    s.assign(h_.size(), 0.0f);
    slots.push_back({p, s.data()});
  }
  thin();
  // thin() may have dropped some of the new ones: keep the slots that remain.
  std::erase_if(slots, [&](const Slot& s) {
    const auto it = snaps_.find(s.pos);
    return it == snaps_.end() || it->second.data() != s.data;
  });
  return slots;
}

// Drops, while there are too many, the snapshot closest to its predecessor
// (never the newest): what is kept stays spread over the sequence.
void HgrnState::thin() {
  while (snaps_.size() > kHgrnMaxSnapshots) {
    auto victim = snaps_.end();
    int64_t gap = INT64_MAX, prev = 0;
    for (auto it = snaps_.begin(); std::next(it) != snaps_.end(); ++it) {
      if (it->first - prev < gap) gap = it->first - prev, victim = it;
      prev = it->first;
    }
    snaps_.erase(victim);
  }
}

}  // namespace lowbit
