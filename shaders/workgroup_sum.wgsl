// A tree sum over one workgroup, shared by every kernel that sums over a workgroup (reduce,
// batchnorm, norm, clip: their descriptors put this file in front of theirs, which declare
// `override WG: u32`, a power of two). shaders/subgroup_sum.wgsl is the barrier-free one
// for a workgroup of exactly one subgroup (src/kernels/workgroup-sum.ts).

// Per-thread shares of a sum are added in blocks of SUM_BLOCK terms, each block total then
// joining the thread's running total: the rounding error grows with SUM_BLOCK plus
// terms/(SUM_BLOCK·WG) instead of terms/WG (with one subgroup of 8 threads summing 100k
// values, 64 + 195 roundings instead of 12500).
const SUM_BLOCK: u32 = 64u;

var<workgroup> partial: array<vec2f, WG>;

// Sum of v over the workgroup, returned to every invocation. Two sums share the barriers.
fn workgroup_sum(lid: u32, v: vec2f) -> vec2f {
  partial[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier(); // everyone has read partial[0] before it is overwritten again
  return total;
}
