// The per-sequence state of an HGRN-Bit model: the recurrence's h, E floats
// per layer, whatever the sequence's length (no KV cache). A recurrent
// state cannot drop its last tokens, so prefix reuse goes through
// snapshots: copies of every layer's h at some positions (multiples of
// kHgrnSnapshotEvery reached during a prefill, and the end of each
// multi-token forward), at most kHgrnMaxSnapshots of them (thinned evenly
// when full). `reusable_prefix(n)` is n for the live state, else the last
// snapshot at or before n; `rewind` then restores it.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "model/model.hpp"

namespace lowbit {

inline constexpr int64_t kHgrnSnapshotEvery = 64;
inline constexpr size_t kHgrnMaxSnapshots = 32;

class HgrnState final : public SequenceState {
 public:
  HgrnState(int64_t n_layer, int64_t width, int64_t n_ctx);

  int64_t n_ctx() const override { return n_ctx_; }
  size_t bytes() const override;
  int64_t reusable_prefix(int64_t n) const override;

  // Positions 0 .. pos() - 1 are in the live state.
  int64_t pos() const { return pos_; }
  int64_t width() const { return width_; }
  // Makes the live state hold positions 0 .. pos0 - 1: itself, a snapshot
  // or zeros (pos0 = 0); an error when none of these holds pos0.
  void rewind(int64_t pos0);
  float* h(int64_t layer) { return h_.data() + layer * width_; }
  void advance(int64_t n) { pos_ += n; }

  // The snapshot positions a forward of T tokens from pos() takes, in
  // order, each with the buffer [n_layer, width] its h rows go to (made
  // now; the caller fills them layer by layer).
  struct Slot {
    int64_t pos;
    float* data;
  };
  std::vector<Slot> snapshot_slots(int64_t T);
  size_t n_snapshots() const { return snaps_.size(); }

 private:
  void thin();

  int64_t width_, n_ctx_, pos_ = 0;
  std::vector<float> h_;
  std::map<int64_t, std::vector<float>> snaps_;
};

}  // namespace lowbit
