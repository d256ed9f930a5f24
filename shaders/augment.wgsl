// Data augmentation inside the training step, on a batch of N images [C, H, W] (NCHW).
// `augment`: per sample, one inverse affine (rotation about the image centre, zoom,
// translation) sampled bilinearly with zero fill, then additive Gaussian noise, then a
// zeroed cutout square. `mix`: mixup or CutMix of the batch with itself reversed, and
// `mix_targets`: the matching soft targets λ·onehot(y) + (1 − λ)·onehot(y_flip).
// Per-sample draws are Philox-2x32-10 (shaders/philox.wgsl, put in front of this file by
// the descriptor) of counter (c, step) under key seed ^ AUG_KEY:
//   c = 3n     → (angle, zoom)     c = 3n + 1 → (tx, ty)     c = 3n + 2 → cutout (cy, cx)
//   c = 3N + e → Box–Muller pair for element e of the flat batch.
// The per-batch mode, λ and CutMix box come in the uniform (drawn by the host per step).

override WG: u32 = 256;
override N: u32 = 1;
override C: u32 = 1;
override H: u32 = 1;
override W: u32 = 1;
override CLASSES: u32 = 2;
override GEOMETRIC: u32 = 0;    // 1: sample through the affine below, 0: no geometric transform
override SHIFT: f32 = 0.0;      // max |translation| in pixels per axis
override ROTATE: f32 = 0.0;     // max |angle| in radians (≤ π)
override SCALE_MIN: f32 = 1.0;
override SCALE_MAX: f32 = 1.0;
override NOISE: f32 = 0.0;      // std of the additive Gaussian noise; 0: none
override CUTOUT: u32 = 0;       // side of the zeroed square; 0: none

const AUG_KEY: u32 = 0x41554731u; // keeps these draws apart from dropout's (key = seed)
const PI: f32 = 3.14159265358979;

struct Augment {
  seed: u32,
  step: u32,
  mode: u32,   // 0: no mixing, 1: mixup, 2: CutMix
  lam: f32,    // weight of the sample itself (CutMix: 1 − box area / (H·W))
  box: vec4u,  // CutMix box [x0, x1) × [y0, y1) as (x0, y0, x1, y1)
}

@group(0) @binding(0) var<uniform> aug: Augment;
@group(0) @binding(1) var<storage, read> src: array<f32>;       // augment, mix
@group(0) @binding(1) var<storage, read> labels: array<u32>;    // mix_targets
@group(0) @binding(2) var<storage, read_write> dst: array<f32>; // all three

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

fn texel(plane: u32, xi: i32, yi: i32) -> f32 {
  if (xi < 0 || yi < 0 || xi >= i32(W) || yi >= i32(H)) { return 0.0; }
  return src[plane + u32(yi) * W + u32(xi)];
}

// Bilinear sample at (sx, sy) in pixel coordinates, zero outside. Clamping first keeps the
// i32 conversion in range; past [−1, W] every neighbour is outside anyway.
fn bilinear(plane: u32, sx: f32, sy: f32) -> f32 {
  let cx = clamp(sx, -2.0, f32(W) + 1.0);
  let cy = clamp(sy, -2.0, f32(H) + 1.0);
  let x0f = floor(cx);
  let y0f = floor(cy);
  let fx = cx - x0f;
  let fy = cy - y0f;
  let x0 = i32(x0f);
  let y0 = i32(y0f);
  let top = (1.0 - fx) * texel(plane, x0, y0) + fx * texel(plane, x0 + 1, y0);
  let bottom = (1.0 - fx) * texel(plane, x0, y0 + 1) + fx * texel(plane, x0 + 1, y0 + 1);
  return (1.0 - fy) * top + fy * bottom;
}

// (sin θ, cos θ) for |θ| ≤ π to ~1e-7, the same on every adapter: WGSL only promises 2^-11
// absolute error for sin/cos (SwiftShader is that coarse), a 0.004-pixel error at radius 8.
// Taylor series of θ/2 (|θ/2| ≤ π/2, truncation < 1e-9), then the double-angle formulas.
fn sincos(theta: f32) -> vec2f {
  let a = 0.5 * theta;
  let a2 = a * a;
  let s = a * (1.0 + a2 * (-1.0 / 6.0 + a2 * (1.0 / 120.0 + a2 * (-1.0 / 5040.0 + a2 * (1.0 / 362880.0
    + a2 * (-1.0 / 39916800.0 + a2 * (1.0 / 6227020800.0)))))));
  let c = 1.0 + a2 * (-0.5 + a2 * (1.0 / 24.0 + a2 * (-1.0 / 720.0 + a2 * (1.0 / 40320.0
    + a2 * (-1.0 / 3628800.0 + a2 * (1.0 / 479001600.0 + a2 * (-1.0 / 87178291200.0)))))));
  return vec2f(2.0 * s * c, (c - s) * (c + s));
}

// One standard normal from two draws (Box–Muller): u1 ∈ (0, 1], θ ∈ [−π, π).
fn gaussian(d: vec2u) -> f32 {
  let u1 = f32((d.x >> 8u) + 1u) / 16777216.0;
  let theta = PI * (2.0 * unit_float(d.y) - 1.0);
  return sqrt(-2.0 * log(u1)) * sincos(theta).y;
}

// One invocation per output pixel of one sample, for all its channels.
@compute @workgroup_size(WG)
fn augment(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N * H * W) { return; }
  let n = i / (H * W);
  let p = i % (H * W);
  let x = p % W;
  let y = p / W;
  let key = aug.seed ^ AUG_KEY;
  var sx = f32(x);
  var sy = f32(y);
  if (GEOMETRIC != 0u) {
    // Output pixel q = c + zoom·R(angle)(p − c) + t, so the source is p = c + R(−angle)(q − c − t)/zoom.
    let a = philox(3u * n, aug.step, key);
    let b = philox(3u * n + 1u, aug.step, key);
    let angle = ROTATE * (2.0 * unit_float(a.x) - 1.0);
    let zoom = SCALE_MIN + (SCALE_MAX - SCALE_MIN) * unit_float(a.y);
    let dx = f32(x) - 0.5 * f32(W - 1u) - SHIFT * (2.0 * unit_float(b.x) - 1.0);
    let dy = f32(y) - 0.5 * f32(H - 1u) - SHIFT * (2.0 * unit_float(b.y) - 1.0);
    let sc = sincos(angle);
    let co = sc.y;
    let si = sc.x;
    sx = 0.5 * f32(W - 1u) + (co * dx + si * dy) / zoom;
    sy = 0.5 * f32(H - 1u) + (co * dy - si * dx) / zoom;
  }
  var cut = false;
  if (CUTOUT > 0u) {
    // Centre uniform over the pixels (floor(draw·H / 2^32), exact); the square is clipped.
    let d = philox(3u * n + 2u, aug.step, key);
    let y0 = i32(mulhi(d.x, H)) - i32(CUTOUT / 2u);
    let x0 = i32(mulhi(d.y, W)) - i32(CUTOUT / 2u);
    cut = i32(y) >= y0 && i32(y) < y0 + i32(CUTOUT) && i32(x) >= x0 && i32(x) < x0 + i32(CUTOUT);
  }
  for (var ch = 0u; ch < C; ch++) {
    let plane = (n * C + ch) * H * W;
    var v = src[plane + p];
    if (GEOMETRIC != 0u) { v = bilinear(plane, sx, sy); }
    if (NOISE > 0.0) { v += NOISE * gaussian(philox(3u * N + plane + p, aug.step, key)); }
    dst[plane + p] = select(v, 0.0, cut);
  }
}

// One invocation per element of the batch: mixes sample n with sample N − 1 − n.
@compute @workgroup_size(WG)
fn mix(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  let sample = C * H * W;
  if (i >= N * sample) { return; }
  let within = i % sample;
  let own = src[i];
  let other = src[(N - 1u - i / sample) * sample + within];
  var v = own;
  if (aug.mode == 1u) {
    v = aug.lam * own + (1.0 - aug.lam) * other;
  } else if (aug.mode == 2u) {
    let x = within % W;
    let y = (within / W) % H;
    let inside = x >= aug.box.x && x < aug.box.z && y >= aug.box.y && y < aug.box.w;
    v = select(own, other, inside);
  }
  dst[i] = v;
}

// One invocation per (row, class) of the soft targets [N, CLASSES].
@compute @workgroup_size(WG)
fn mix_targets(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N * CLASSES) { return; }
  let n = i / CLASSES;
  let c = i % CLASSES;
  let own = select(0.0, 1.0, labels[n] == c);
  let other = select(0.0, 1.0, labels[N - 1u - n] == c);
  dst[i] = select(own, aug.lam * own + (1.0 - aug.lam) * other, aug.mode != 0u);
}
