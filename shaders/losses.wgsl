// Loss terms and their gradients, as torch.nn defines them. Every output is already divided by
// DIVISOR (the element or row count for 'mean', 1 for 'sum'), so the plain sum of the terms is
// the reduced loss and the gradients are those of that reduced loss (dL/dloss = 1: a loss is
// the graph's root). Elementwise losses pick their formula with the override constant OP
// (codes in src/kernels/losses.ts); NLL and Gaussian NLL have entry points of their own.

override WG: u32 = 256;
override N: u32;                 // elements, or rows for NLL
override C: u32 = 1u;            // classes (NLL)
override OP: u32 = 0u;
override DIVISOR: f32 = 1.0;
override VAR_EPS: f32 = 1e-6;    // Gaussian NLL clamps the variance from below
override D: u32 = 1u;            // Gaussian NLL: targets per row (the output has 2·D columns)
override FULL: f32 = 0.0;        // Gaussian NLL: ½·log(2π) with full=true, else 0

const SQUARED: u32 = 0u;
const L1: u32 = 1u;
const BCE: u32 = 2u;
const BCE_WITH_LOGITS: u32 = 3u;

// Entry points may share binding numbers as long as one entry point uses only one of them.
@group(0) @binding(0) var<storage, read> pred: array<f32>;              // Gaussian NLL: [N, 2D] = [mean | var]
@group(0) @binding(0) var<storage, read> logprobs: array<f32>;         // nll_forward, [N, C]
@group(0) @binding(0) var<storage, read> nll_labels: array<u32>;       // nll_backward, [N]
@group(0) @binding(1) var<storage, read> targets: array<f32>;           // ("target" is reserved in WGSL)
@group(0) @binding(1) var<storage, read> labels: array<u32>;           // nll_forward, [N]
@group(0) @binding(1) var<storage, read_write> dlogprobs: array<f32>;  // nll_backward, [N, C]
@group(0) @binding(2) var<storage, read_write> terms: array<f32>;      // forward, forward_backward
@group(0) @binding(2) var<storage, read_write> dpred: array<f32>;      // backward
@group(0) @binding(3) var<storage, read_write> fused_dpred: array<f32>; // forward_backward, gaussian_nll

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WG;
}

// PyTorch clamps BCE's logs at −100 so that p = 0 or 1 gives a finite loss. Read from the
// bits: a subnormal v = m·2⁻¹⁴⁹ (sigmoid(−95) is one) has log m − 149·ln 2, where log() of
// the subnormal itself is inexact on some drivers (lavapipe: −88.03 for all of them) and a
// device that flushes subnormals would call it 0.
fn clamped_log(v: f32) -> f32 {
  let bits = bitcast<u32>(v);
  if (bits == 0u || bits >= 0x80000000u) { return -100.0; } // 0, −0 and negatives
  if (bits < 0x00800000u) { return max(log(f32(bits)) - 103.27892990343184, -100.0); }
  return max(log(v), -100.0);
}

// log(1 + e) for e ∈ [0, 1] without losing a tiny e to rounding (WGSL has no log1p):
// log(u)·e/(u − 1) with u = 1 + e cancels the rounding of u.
fn log1p_small(e: f32) -> f32 {
  let u = 1.0 + e;
  return select(log(u) * e / (u - 1.0), e, u == 1.0);
}

// exp(−|v|) never overflows, so both branches are stable.
fn sigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

fn term(p: f32, t: f32) -> f32 {
  if (OP == L1) { return abs(p - t); }
  if (OP == BCE) { return -(t * clamped_log(p) + (1.0 - t) * clamped_log(1.0 - p)); }
  // max(x, 0) − x·t + log(1 + exp(−|x|)): no exp of a positive number.
  if (OP == BCE_WITH_LOGITS) { return max(p, 0.0) - p * t + log1p_small(exp(-abs(p))); }
  let d = p - t;
  return d * d;
}

fn gradient(p: f32, t: f32) -> f32 {
  if (OP == L1) { return sign(p - t); } // sign(0) = 0: torch's subgradient at 0
  // PyTorch's formula, ignoring the −100 clamp: (p − t) / max(p(1 − p), 1e-12).
  if (OP == BCE) { return (p - t) / max((1.0 - p) * p, 1e-12); }
  if (OP == BCE_WITH_LOGITS) { return sigmoid(p) - t; }
  return 2.0 * (p - t);
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  terms[i] = term(pred[i], targets[i]) / DIVISOR;
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  dpred[i] = gradient(pred[i], targets[i]) / DIVISOR;
}

@compute @workgroup_size(WG)
fn forward_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N) { return; }
  let p = pred[i];
  let t = targets[i];
  terms[i] = term(p, t) / DIVISOR;
  fused_dpred[i] = gradient(p, t) / DIVISOR;
}

// A quiet NaN made at run time (a NaN constant-expression is a shader-creation error).
fn nan() -> f32 {
  let bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// One invocation per row: −logprobs[row, label]. A label ≥ C gives NaN (PyTorch raises).
@compute @workgroup_size(WG)
fn nll_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = flat_index(gid, groups);
  if (row >= N) { return; }
  let label = labels[row];
  let value = -logprobs[row * C + min(label, C - 1u)];
  terms[row] = select(value, nan(), label >= C) / DIVISOR;
}

// One invocation per element of [N, C]: −1 at the label, 0 elsewhere (every element written).
@compute @workgroup_size(WG)
fn nll_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N * C) { return; }
  let label = nll_labels[i / C];
  let value = select(0.0, -1.0, i % C == label);
  dlogprobs[i] = select(value, nan(), label >= C) / DIVISOR;
}

// torch.nn.GaussianNLLLoss as a training head, one invocation per target: the output packs each
// row's means and variances side by side, [N, 2D] = [mean | var], against targets [N, D]. Terms
// ½(log v + (x − t)²/v) + FULL with v = max(var, eps), and the gradient of their sum with
// respect to the whole output. PyTorch clamps a clone of var under no_grad, so the clamp passes
// the gradient through: d/dvar = ½(1/v − (x − t)²/v²) taken at v, also where var < eps. A
// negative variance, which PyTorch rejects with a ValueError, makes the element's loss and both
// gradients NaN (the non-finite guard sees it).
@compute @workgroup_size(WG)
fn gaussian_nll(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= N * D) { return; }
  let at = (i / D) * 2u * D + i % D; // the mean's index in the output; the variance is D further
  let variance = pred[at + D];
  let v = max(variance, VAR_EPS);
  let d = pred[at] - targets[i];
  let z = d / v;
  let bad = variance < 0.0;
  terms[i] = select((0.5 * (log(v) + d * z) + FULL) / DIVISOR, nan(), bad);
  fused_dpred[at] = select(z / DIVISOR, nan(), bad);
  fused_dpred[at + D] = select(0.5 * (1.0 / v - z * z) / DIVISOR, nan(), bad);
}
