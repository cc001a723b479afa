// Moves many buffers (a model's weight matrices) into one mapping, one
// after another in the order given: the order in which a decode step reads
// them.
//
// Why: a single-thread decode GEMV streams its weights from DRAM at the
// read probe's speed only when they sit on huge pages and the next bytes
// follow the last ones. Each matrix in its own mapping leaves the part past
// its last 2 MiB boundary on 4 KiB pages (all of a matrix under 2 MiB, such
// as 2B4T's 1.6 MiB output projection), and every matrix starts a fresh
// stream. Issue 18, the AVX2 ternary GEMV on 2B4T's 6912 x 2560 shape over
// distinct copies, each pass paired with the read probe in one process:
// 0.62-0.79 of the probe with a mapping per copy, 0.86-0.90 with each copy
// rounded up to whole huge pages, 0.88-0.93 with the copies in one mapping.
#pragma once

#include <vector>

#include "core/aligned_buffer.hpp"

namespace lowbit {

// Each non-empty buffer of `bufs` that is not already a part of another
// becomes a part (AlignedBuffer::part_of) of one new buffer holding them in
// this order, each at a multiple of kAlignment; their bytes are unchanged.
// Each old buffer is freed as soon as it is copied, so the peak is the new
// buffer plus the largest old one. Null entries are skipped.
void gather_into_one_buffer(const std::vector<AlignedBuffer*>& bufs);

}  // namespace lowbit
