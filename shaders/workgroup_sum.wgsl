// A tree sum over one workgroup, shared by the batchnorm and layernorm kernels (their
// descriptors put this file in front of theirs, which declare `override WG: u32`, a power
// of two).

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
