// Elementwise activations over a flat array of N values (after shaders/activation.wgsl):
// forward y = f(x) and backward dx = dy * f'(x).
// Also the binary and linear ops on flat arrays: add, multiply, scale, accumulate, bias add.

override WG: u32 = 256;
override SCALE: f32 = 1.0;  // scale, accumulate
override CHANNELS: u32;     // bias_add: x is [N / (CHANNELS·INNER), CHANNELS, INNER]
override INNER: u32 = 1u;

// The number of values, N: a launch parameter (group 1), so that every length of one kernel
// and settings shares a pipeline.
struct Values {
  n: u32,
}
@group(1) @binding(0) var<uniform> values: Values;

// Entry points may share binding numbers as long as one entry point uses only one of them.
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;   // forward
@group(0) @binding(1) var<storage, read> dy: array<f32>;        // backward
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;  // backward
@group(0) @binding(1) var<storage, read> rhs: array<f32>;       // add, multiply, bias_add
@group(0) @binding(2) var<storage, read_write> z: array<f32>;   // add, multiply, bias_add

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// x or dy at i .. i+3, indices clamped to the array (the clamped ones are never stored).
fn x4(i: u32) -> vec4f {
  let last = values.n - 1u;
  return vec4f(x[i], x[min(i + 1u, last)], x[min(i + 2u, last)], x[min(i + 3u, last)]);
}

fn dy4(i: u32) -> vec4f {
  let last = values.n - 1u;
  return vec4f(dy[i], dy[min(i + 1u, last)], dy[min(i + 2u, last)], dy[min(i + 3u, last)]);
}

// Activations take 4 consecutive values per invocation (vec4 maths, one invocation's
// overhead for 4 values).
@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = 4u * flat_index(gid, groups);
  if (i >= values.n) { return; }
  let v = activate(x4(i));
  for (var e = 0u; e < min(4u, values.n - i); e++) { y[i + e] = v[e]; }
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = 4u * flat_index(gid, groups);
  if (i >= values.n) { return; }
  let v = dy4(i) * derivative(x4(i));
  for (var e = 0u; e < min(4u, values.n - i); e++) { dx[i + e] = v[e]; }
}

// z = x + rhs.
@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= values.n) { return; }
  z[i] = x[i] + rhs[i];
}

// z = x ⊙ rhs.
@compute @workgroup_size(WG)
fn multiply(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= values.n) { return; }
  z[i] = x[i] * rhs[i];
}

// y = SCALE · x.
@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= values.n) { return; }
  y[i] = SCALE * x[i];
}

// y += SCALE · x: gradients of a tensor that feeds several consumers add up in place.
@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= values.n) { return; }
  y[i] += SCALE * x[i];
}

// z[o, c, s] = x[o, c, s] + rhs[c]: a per-feature (INNER = 1) or per-channel bias.
@compute @workgroup_size(WG)
fn bias_add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= values.n) { return; }
  z[i] = x[i] + rhs[(i / INNER) % CHANNELS];
}
