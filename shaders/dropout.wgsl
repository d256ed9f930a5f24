// Inverted dropout over a flat array of N values. The keep mask is never stored: element
// i is kept when the Philox-2x32-10 draw for counter (OFFSET + i, step) under key seed is
// ≥ p, so the backward pass recomputes exactly the forward mask from the same uniforms.

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

const PHILOX_M: u32 = 0xd256d193u;
const PHILOX_W: u32 = 0x9e3779b9u;

@group(0) @binding(0) var<uniform> rng: Rng;
@group(0) @binding(1) var<storage, read> x: array<f32>;         // forward
@group(0) @binding(2) var<storage, read_write> y: array<f32>;   // forward
@group(0) @binding(1) var<storage, read> dy: array<f32>;        // backward
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;  // backward

// High 32 bits of a·b from 16-bit halves: WGSL has no 32×32→64 multiply.
fn mulhi(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = ((al * bl) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}

// First output word of Philox-2x32-10 (Random123) for counter (c0, c1) and key k.
fn philox(c0: u32, c1: u32, k: u32) -> u32 {
  var x = c0;
  var y = c1;
  var key = k;
  for (var round = 0u; round < 10u; round++) {
    let hi = mulhi(PHILOX_M, x);
    let lo = PHILOX_M * x;
    x = hi ^ key ^ y;
    y = lo;
    key += PHILOX_W;
  }
  return x;
}

fn kept(i: u32) -> bool {
  return (philox(OFFSET + i, rng.step, rng.seed) >> 8u) >= THRESHOLD;
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
