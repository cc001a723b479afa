// Distinct copies of packed ternary matrices for the decode benchmarks
// (bench/qhead_bench.cpp, bench/decode_step_bench.cpp): each pass reads
// bytes no earlier pass left in the L3, laid out as a loaded model holds
// its projections.
#pragma once

#include <cstring>
#include <vector>

#include "core/aligned_buffer.hpp"
#include "core/buffer_arena.hpp"
#include "kernels/ternary_matmul.hpp"

namespace lowbit::bench {

// A copy of p with its own code bytes.
inline PackedTernary copy_of(const PackedTernary& p) {
  PackedTernary c;
  c.out = p.out, c.in = p.in, c.out_pad = p.out_pad, c.in_pad = p.in_pad, c.layout = p.layout;
  c.row_scale = p.row_scale;
  c.codes = AlignedBuffer(p.codes.size());
  std::memcpy(c.codes.data(), p.codes.data(), p.codes.size());
  return c;
}

// The matrices' codes moved into one mapping in this order, as a loaded
// model gathers its projections (core/buffer_arena.hpp).
inline void gather_codes(std::vector<PackedTernary>& ws) {
  std::vector<AlignedBuffer*> bufs;
  bufs.reserve(ws.size());
  for (PackedTernary& w : ws) bufs.push_back(&w.codes);
  gather_into_one_buffer(bufs);
}

}  // namespace lowbit::bench
