// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_) over the flat gradient
// arena: one single-workgroup pass computes ‖g‖₂ and the coefficient min(1, max/(‖g‖+1e-6)),
// a second scales every gradient by it. Both stay on the GPU: no readback, no CPU decision.
// The descriptors put a workgroup sum in front (shaders/workgroup_sum.wgsl or subgroup_sum.wgsl).

override WG: u32 = 256;   // power of two (tree sum), or the subgroup size
override N: u32;
override MAX_NORM: f32;

// norm pass: grads → stats; scale pass: stats → grads (in place).
@group(0) @binding(0) var<storage, read> grads_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> stats_out: array<f32>; // [‖g‖, coefficient]
@group(0) @binding(0) var<storage, read> stats_in: array<f32>;
@group(0) @binding(1) var<storage, read_write> grads: array<f32>;

@compute @workgroup_size(WG)
fn norm(@builtin(local_invocation_index) lid: u32) {
  // Strided per-thread sums in blocks, then the workgroup sum: a few ulps per thread chunk.
  var s = 0.0;
  for (var b = lid; b < N; b += WG * SUM_BLOCK) {
    var part = 0.0;
    for (var i = b; i < b + min(N - b, WG * SUM_BLOCK); i += WG) {
      let g = grads_in[i];
      part += g * g;
    }
    s += part;
  }
  let squares = workgroup_sum(lid, vec2f(s, 0.0)).x;
  if (lid == 0u) {
    let total = sqrt(squares);
    stats_out[0] = total;
    stats_out[1] = min(1.0, MAX_NORM / (total + 1e-6));
  }
}

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WG;
  if (i >= N) { return; }
  grads[i] = grads[i] * stats_in[1];
}
