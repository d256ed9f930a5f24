// The workgroup sum of shaders/workgroup_sum.wgsl for a workgroup that is exactly one
// subgroup (WG = the device's fixed subgroup size; needs the `subgroups` feature): one
// subgroupAdd, no workgroup memory and no barrier. On CPU drivers a barrier splits the
// kernel into coroutines: lavapipe compiles a batchnorm pass in ~180 ms this way instead of
// ~900 ms with the tree, and runs it in half the time. Descriptors put this file first (for
// the `enable`), in place of the tree (src/kernels/workgroup-sum.ts).
enable subgroups;

// Per-thread shares of a sum are added in blocks of SUM_BLOCK terms, each block total then
// joining the thread's running total: the rounding error grows with SUM_BLOCK plus
// terms/(SUM_BLOCK·WG) instead of terms/WG (with one subgroup of 8 threads summing 100k
// values, 64 + 195 roundings instead of 12500).
const SUM_BLOCK: u32 = 64u;

// Sum of v over the workgroup, returned to every invocation.
fn workgroup_sum(lid: u32, v: vec2f) -> vec2f {
  return subgroupAdd(v);
}
