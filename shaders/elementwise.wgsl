// Elementwise activations over a flat array of N values: forward y = f(x) and backward
// dx = dy * f'(x). The activation is the override constant OP, so each pipeline is
// specialized and the selection folds away. Codes are listed in src/kernels/elementwise.ts.
// Also the binary and linear ops on flat arrays: add, multiply, scale, accumulate, bias add.

override WG: u32 = 256;
override N: u32;
override OP: u32;
override ALPHA: f32 = 0.01; // LeakyReLU slope / ELU scale
override SCALE: f32 = 1.0;  // scale, accumulate
override CHANNELS: u32;     // bias_add: x is [N / (CHANNELS·INNER), CHANNELS, INNER]
override INNER: u32 = 1u;

const IDENTITY: u32 = 0u;
const STEP: u32 = 1u;
const SIGMOID: u32 = 2u;
const TANH: u32 = 3u;
const RELU: u32 = 4u;
const LEAKY_RELU: u32 = 5u;
const ELU: u32 = 6u;
const GELU: u32 = 7u;

const INV_SQRT2: f32 = 0.70710678118654752;
const INV_SQRT_2PI: f32 = 0.39894228040143268;

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

// exp(-|v|) never overflows, so both branches are stable.
fn sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

// Some drivers return NaN from tanh() for large |v|; tanh(±10) is ±1 in f32.
fn safe_tanh(v: f32) -> f32 {
  return tanh(clamp(v, -10.0, 10.0));
}

// erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), for the exact GELU.
fn erf_approx(v: f32) -> f32 {
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - poly * exp(-a * a));
}

fn activate(v: f32) -> f32 {
  if (OP == STEP) { return select(0.0, 1.0, v > 0.0); }
  if (OP == SIGMOID) { return sigmoid(v); }
  if (OP == TANH) { return safe_tanh(v); }
  if (OP == RELU) { return max(v, 0.0); }
  if (OP == LEAKY_RELU) { return select(ALPHA * v, v, v > 0.0); }
  if (OP == ELU) { return select(ALPHA * (exp(min(v, 0.0)) - 1.0), v, v > 0.0); }
  if (OP == GELU) { return 0.5 * v * (1.0 + erf_approx(v * INV_SQRT2)); }
  return v;
}

// f'(v). STEP has derivative 0 almost everywhere (the perceptron is not trained by gradients).
fn derivative(v: f32) -> f32 {
  if (OP == STEP) { return 0.0; }
  if (OP == SIGMOID) { let s = sigmoid(v); return s * (1.0 - s); }
  if (OP == TANH) { let t = safe_tanh(v); return 1.0 - t * t; }
  if (OP == RELU) { return select(0.0, 1.0, v > 0.0); }
  if (OP == LEAKY_RELU) { return select(ALPHA, 1.0, v > 0.0); }
  if (OP == ELU) { return select(ALPHA * exp(min(v, 0.0)), 1.0, v > 0.0); }
  if (OP == GELU) {
    return 0.5 * (1.0 + erf_approx(v * INV_SQRT2)) + v * INV_SQRT_2PI * exp(-0.5 * v * v);
  }
  return 1.0;
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  y[i] = activate(x[i]);
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  dx[i] = dy[i] * derivative(x[i]);
}

// z = x + rhs.
@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  z[i] = x[i] + rhs[i];
}

// z = x ⊙ rhs.
@compute @workgroup_size(WG)
fn multiply(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  z[i] = x[i] * rhs[i];
}

// y = SCALE · x.
@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  y[i] = SCALE * x[i];
}

// y += SCALE · x: gradients of a tensor that feeds several consumers add up in place.
@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  y[i] += SCALE * x[i];
}

// z[o, c, s] = x[o, c, s] + rhs[c]: a per-feature (INNER = 1) or per-channel bias.
@compute @workgroup_size(WG)
fn bias_add(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  z[i] = x[i] + rhs[(i / INNER) % CHANNELS];
}
