// Inverted dropout over a flat array of N values. The keep mask is never stored: element
// i is kept when the Philox-2x32-10 draw for counter (OFFSET + i, step) under key seed is
// ≥ p, so the backward pass recomputes exactly the forward mask from the same uniforms.
// philox() comes from shaders/philox.wgsl, which the descriptor puts in front of this file.

override WG: u32 = 256;
override N: u32;
override OFFSET: u32 = 0;    // first counter of this tensor: layers sharing a seed use disjoint ranges
override THRESHOLD: u32;     // ceil(p·2^24): keep when the top 24 bits of the draw reach it
override SCALE: f32;         // 1/(1 − p), or 0 when p = 1 (avoids 0·∞)

struct Rng {
  seed: u32,
  step: u32,
  unused: vec2u, // pads the uniform to 16 bytes
}

@group(0) @binding(0) var<uniform> rng: Rng;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // forward
@group(0) @binding(2) var<storage, read_write> y: array<f32>;   // forward
@group(0) @binding(1) var<storage, read> dy: array<f32>;        // backward
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;  // backward

fn kept(i: u32) -> bool {
  return (philox(OFFSET + i, rng.step, rng.seed).x >> 8u) >= THRESHOLD;
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  y[i] = select(0.0, x[i] * SCALE, kept(i));
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  dx[i] = select(0.0, dy[i] * SCALE, kept(i));
}
